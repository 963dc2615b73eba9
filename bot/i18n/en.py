"""English. Keys are grouped by where they are shown; `zh.py` has the same keys and placeholders.
Templates rendered with `html()` may hold markup; `text()` ones are plain."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- a job's message: status, speed and who (html) ---------------------------------------
    "status.queued": "#{position} in line",
    "status.waiting": "Waiting to start",
    "status.in_queue": "In Midjourney's queue",
    "status.starting": "0%",
    "status.interrupted": "Interrupted",
    "status.failed": "Failed",
    "status.cancelled": "Cancelled",
    "speed.fast": "fast",
    "speed.relax": "relaxed",
    "speed.turbo": "turbo",
    "tag.image": "Image #{n} {who}",
    "tag.by": "{what} by {who}",
    "what.variations": "Variations",
    "what.variation_strong": "Variations (Strong)",
    "what.variation_subtle": "Variations (Subtle)",
    "what.variation_region": "Variations (Region)",
    "what.upscale_2x": "Upscaled (2x)",
    "what.upscale_4x": "Upscaled (4x)",
    "what.upscale_subtle": "Upscaled (Subtle)",
    "what.upscale_creative": "Upscaled (Creative)",
    "what.zoom_out_2x": "Zoom Out (2x)",
    "what.zoom_out_1_5x": "Zoom Out (1.5x)",
    "what.pan_left": "Pan Left",
    "what.pan_right": "Pan Right",
    "what.pan_up": "Pan Up",
    "what.pan_down": "Pan Down",
    "job.no_prompt": "(no prompt)",
    "job.aside": " ({text})",
    "job.went_wrong": "Something went wrong.",
    # --- buttons -----------------------------------------------------------------------------
    "label.retry": "🔁 Retry",
    "label.cancel": "✖ Cancel",
    "label.full_size": "🔗 Full size",
    "label.upscale_2x": "Upscale 2x",
    "label.upscale_4x": "Upscale 4x",
    "label.upscale_subtle": "Upscale (Subtle)",
    "label.upscale_creative": "Upscale (Creative)",
    "label.variation_subtle": "Vary (Subtle)",
    "label.variation_strong": "Vary (Strong)",
    "label.variation_region": "Vary (Region)",
    "label.zoom_out_2x": "Zoom Out 2x",
    "label.zoom_out_1_5x": "Zoom Out 1.5x",
    "label.custom_zoom": "Custom Zoom",
    # --- answers to taps (plain) ---------------------------------------------------------------
    "tap.expired": "This button is no longer valid.",
    "tap.pick_region": "Pick the squares to repaint.",
    "tap.busy": "{label} is already in progress.",
    "tap.started": "{label}: on it!",
    "tap.went_wrong": "Something went wrong. Please try again.",
    "tap.cancelled": "Cancelled.",
    "tap.cancel_not_yours": "Only {owner} can cancel this job.",
    "tap.cancel_too_late": "It is already with Midjourney and can't be cancelled any more.",
    "tap.suggestion": "Imagining prompt {n}…",
    "tap.settings_not_yours": "These are {owner}'s settings. Send /settings for yours.",
    "tap.saved": "Saved.",
    # --- Vary (Region) picker -------------------------------------------------------------------
    "picker.body": "🖌 <b>Vary (Region)</b> for {who}: tap the squares to repaint, then Submit.\n"
    "Selected: {chosen}\nPrompt: <i>{prompt}</i> (reply to this message to change it)",
    "picker.nothing": "nothing yet",
    "picker.original": "the original prompt",
    "picker.submitted": "🖌 <b>Vary (Region)</b>: submitted areas {chosen}.",
    "picker.closed": "🖌 <b>Vary (Region)</b>: cancelled.",
    "picker.all": "Select all",
    "picker.clear": "Clear",
    "picker.submit": "🚀 Submit",
    "picker.cancel": "✖️ Cancel",
    "picker.draw": "🖌 Draw mask",
    "picker.answer_submitted": "Submitted: repainting the chosen area.",
    "picker.answer_cancelled": "Cancelled.",
    "picker.answer_empty": "Select at least one square first.",
    "picker.answer_closed": "This picker is closed.",
    "picker.not_yours": "Only {owner} can change this selection.",
    "picker.its_owner": "its owner",
    # --- the Draw mask page (plain) ----------------------------------------------------------------
    "draw.title": "Vary (Region)",
    "draw.instruction": "Paint over the part to change, then tap Repaint.",
    "draw.brush": "Brush",
    "draw.undo": "Undo",
    "draw.clear": "Clear",
    "draw.prompt": "What goes there? (optional)",
    "draw.repaint": "Repaint",
    "draw.picture": "The picture to repaint",
    "draw.sending": "Sending…",
    "draw.sent": "Sent! Repainting the painted area…",
    "draw.sent_button": "Sent",
    "draw.empty": "Paint over the part to change first.",
    "draw.not_telegram": "Open this from the 🖌 Draw mask button in Telegram.",
    "draw.expired": "This link has expired: tap 🖌 Draw mask in the chat again.",
    "draw.not_yours": "Only the person who asked can repaint this picture.",
    "draw.closed": "This picture was already submitted or cancelled: tap Vary (Region) in the chat to start again.",
    "draw.bad_drawing": "The painting could not be read. Please clear it and paint again.",
    "draw.too_large": "The painting is too large to send. Please clear it and paint again.",
    "draw.refused": "The bot's limits do not allow this right now.",
    "draw.offline": "No connection. Check your internet and tap Repaint again.",
    "draw.server": "Something went wrong on our side. Please try again in a moment.",
    "draw.picture_failed": "The picture could not be loaded. Tap 🖌 Draw mask in the chat again.",
    "draw.closed_title": "This picker is closed",
    "draw.closed_hint": "It was submitted, cancelled or is too old. Tap Vary (Region) on the picture in the chat "
    "to start again.",
    "picker.painted": "🖌 <b>Vary (Region)</b>: repainting the painted area…",
    "picker.draw_hint": "Or tap 🖌 Draw mask to paint the area freely.",
    "picker.selected": "Selected: {cells}",
    "picker.selected_none": "Nothing selected.",
    # --- replies to commands (html) ---------------------------------------------------------
    "usage.imagine": "Describe the picture after the command, for example:\n"
    "<code>/imagine a red fox in snow --ar 3:2</code>",
    "blend.too_many": "/blend mixes 2 to 5 images, but I found {found}. Please use at most 5.",
    "blend.too_few": "/blend mixes 2 to 5 images, but I found {found}. Send an album of 2–5 photos with the "
    "caption /blend, reply /blend to an album or a photo with another photo attached, or give links: "
    "/blend URL1 URL2 [text].",
    "unknown.command": "I don't know /{name}. Send /help to see what I can do.",
    "error.went_wrong": "⚠️ Something went wrong. Please try again.",
    "help": "🎨 <b>Midjourney in Telegram</b> — {name} draws what you describe.\n\n"
    "<code>/imagine a red fox in snow --ar 3:2</code> makes four pictures in one grid.\n"
    "Tap <b>U1–U4</b> to upscale one, <b>V1–V4</b> for variations, 🔄 to try again.\n"
    "Upscaled pictures offer upscale, vary, zoom out and pan buttons.\n"
    "Parameters such as <code>--ar</code>, <code>--v</code>, <code>--chaos</code>, <code>--no</code>, "
    "<code>--fast</code>/<code>--relax</code>/<code>--turbo</code> work as in Midjourney, also typed on a "
    "Chinese keyboard (<code>——ar 3：2</code>); Chinese prompts are translated (turn it off in /settings).\n"
    "Send a photo with the caption <code>/imagine text</code> (or reply to one) for an image prompt; "
    "links at the start of the prompt work too.\n"
    "Send an album of 2–5 photos with the caption <code>/blend</code> (or reply <code>/blend</code> to one) "
    "to blend them.\n\n"
    "/describe a photo to get four prompts for it, /shorten a long prompt, /info for your jobs and limits, "
    "/settings for your defaults (speed, version, aspect ratio, language, notifications), "
    "<code>/prefer suffix --ar 16:9</code> to end every prompt the same way, /fast, /relax, /turbo.\n"
    "Anyone in the chat may tap the buttons.",
    "help.this_bot": "this bot",
    # --- refusals (plain) -------------------------------------------------------------------------
    "refused.too_many": "You already have several pictures in progress. Please wait for one to finish.",
    "refused.busy": "That is already in progress.",
    "refused.user_daily": "Your daily limit of {limit} is used up.",
    "refused.chat_daily": "This chat's daily limit of {limit} is used up.",
    "refused.joined": "{first} {second}",
    "refused.resets": "It resets at {time} ({zone}), in {hours} h {minutes} min.",
    "refused.not_allowed": "Sorry, this bot is not open to you here. Ask the bot's admin for access.",
    "refused.not_allowed_id": "Sorry, this bot is not open to you here. Ask the bot's admin for access "
    "(your id: {user_id}).",
    # --- checking a prompt (plain) -----------------------------------------------------------
    "prompt.whole_number": "--{name} needs a whole number from {low} to {high}, not “{value}”.",
    "prompt.number": "--{name} needs a number from {low} to {high}, not “{value}”.",
    "prompt.range": "--{name} must be from {low} to {high}, not {value}.",
    "prompt.ratio": "--{name} needs a ratio like 3:2 or 16:9, not “{value}”.",
    "prompt.quality": "--{name} must be one of .25, .5, 1, 2 or 4, not “{value}”.",
    "prompt.needs_value": "--{name} needs a value.",
    "prompt.too_long": "The prompt is too long ({length} characters; at most {limit}).",
    "prompt.too_many_images": "At most {limit} images fit in one prompt; I found {found}.",
    "prompt.plain_links": "Image links must be plain http(s) URLs.",
    "prompt.one_speed": "Choose one of --fast, --relax or --turbo.",
    "prompt.describe_first": "Describe the picture before the --parameters, e.g. /imagine a red fox in snow --ar 3:2",
    "prompt.no_links": "A suffix cannot hold image links.",
    "prompt.no_speed": "Set the speed with /fast, /relax or /turbo, not in the suffix.",
    "prompt.suffix_too_long": "The suffix may be at most {limit} characters.",
    # --- pictures users give (plain) ----------------------------------------------------------
    "media.gif": "Animated GIFs can't be used. Please send a still picture (JPG, PNG or WebP).",
    "media.not_picture": "“{name}” is not a picture. Please send a JPG, PNG or WebP image.",
    "media.that_file": "That file",
    "media.sticker": "Stickers can't be used. Please send the picture as a photo.",
    "media.video": "Videos and GIFs can't be used. Please send a still picture.",
    "media.too_large": "That picture is larger than 20 MB. Please send a smaller one.",
    "media.unusable": "That file is not a picture Midjourney can use. Please send a JPG, PNG or WebP image.",
    "media.upload_failed": "Could not upload your picture for Midjourney. Please try again.",
    "media.not_found": "That picture could not be found.",
    "media.download_failed": "Could not download your picture from Telegram. Please send it again.",
    "media.unsupported": "Pictures are not supported by this bot's configuration.",
    # --- why a job failed (plain; stored with the job) ------------------------------------------
    "fail.misconfigured": "Drawing is not available right now. Please tell the bot's admin.",
    "fail.busy": "Midjourney is too busy right now. Please try again in a few minutes.",
    "fail.deadline": "This took too long and was stopped. Please try again.",
    "fail.unconfirmed": "Midjourney never confirmed this request, so it was not sent again. Tap Retry to send it.",
    "fail.internal": "Something went wrong inside the bot. Please try again.",
    "fail.moderated": "Midjourney's moderation rejected this prompt. Please reword it.",
    "fail.used_up": "The bot's Midjourney credit is used up. Please tell the bot's admin, then tap Retry.",
    "fail.disabled": "The bot's Midjourney access is disabled. Please tell the bot's admin.",
    "fail.timeout": "Midjourney took too long to draw this. Please try again.",
    "fail.unknown_params": "Midjourney does not know these parameters: {names}. Please check the prompt.",
    "fail.rejected": "Midjourney could not do this request. Please check the prompt and its --parameters.",
    "fail.refused": "Midjourney refused this request. Please check the prompt and its --parameters.",
    "fail.cancelled": "Midjourney cancelled this task. Please try again.",
    "fail.upstream": "Midjourney could not draw this. Please try again.",
    "fail.network": "Could not reach Midjourney. Please try again in a minute.",
    "fail.temporary": "Midjourney had a temporary problem. Please try again in a minute.",
    "fail.unreadable": "Midjourney's answer could not be read. Please try again.",
    # --- what the operator must fix (plain; the log and the operator's alerts) -----------------
    "hint.token": "check ACEDATA_API_TOKEN: it must be a valid token of AceData's Midjourney Imagine API",
    "hint.token_expired": "check ACEDATA_API_TOKEN: it has expired",
    "hint.no_token": "check ACEDATA_API_TOKEN: none reached AceData",
    "hint.token_mismatched": "ACEDATA_API_TOKEN belongs to another AceData service: acquire the Midjourney "
    "Imagine API's own token",
    "hint.endpoint": "ACEDATA_API_URL does not serve this endpoint: it should be https://api.acedata.cloud",
    "hint.used_up": "the AceData credit is used up: top it up on platform.acedata.cloud",
    "hint.disabled": "the AceData application is disabled: see platform.acedata.cloud",
    # --- the operator's alerts (html) -------------------------------------------------------
    "alert.failing": "⚠️ <b>Midjourney jobs are failing</b>: {what}.",
    "alert.down": "⚠️ <b>AceData has been failing for {minutes} min</b>: jobs cannot start. "
    "The bot keeps retrying; see its log (trace ids) for details.",
    "alert.up": "✅ AceData answers again.",
    # --- admin commands (html) ----------------------------------------------------------------
    "admin.usage": "Admin commands: <code>/allow &lt;user or chat id&gt;</code> (or as a reply), "
    "<code>/deny &lt;id&gt;</code>, <code>/allow</code> alone lists the run-time entries, "
    "<code>/limit &lt;user id&gt; &lt;jobs a day | default&gt;</code>, <code>/stats</code>.",
    "admin.private_only": "📬 Reports name people and their usage, so I give them only in a private chat: "
    "send it to me there.",
    "admin.admin_always": "That user is an admin: admins are always allowed (remove them from ADMIN_USER_IDS "
    "instead).",
    "admin.user": "user <code>{id}</code>",
    "admin.chat": "chat <code>{id}</code>",
    "admin.allowed": "✅ {who} may use the bot now (kept across restarts).",
    "admin.denied": "🚫 {who} may not use the bot now (kept across restarts).",
    "admin.limit_default": "the default ({default})",
    "admin.no_limit": "no limit",
    "admin.per_day": "{count} jobs a day",
    "admin.limit_set": "📏 Daily limit of user <code>{user_id}</code>: {rule}.",
    "admin.open": "open to everyone (ALLOWED_USER_IDS and ALLOWED_CHAT_IDS are empty)",
    "admin.listed": "{users} users and {chats} chats allowed in .env",
    "admin.access": "<b>Access</b>: {mode}; {admins} admins.",
    "admin.no_entries": "No run-time /allow or /deny entries.",
    "admin.stats_today": "📊 <b>Jobs today</b>: {today} · <b>in progress now</b>: {waiting}",
    "admin.stats_days": "<b>Last 7 days</b>: {days}",
    "admin.stats_failures": "<b>Failures</b> (7 days): {failures}",
    "admin.none": "none",
    "admin.stats_users": "<b>Busiest users</b>:",
    "admin.row": "• {name} (<code>{id}</code>): {count}",
    "admin.stats_chats": "<b>Busiest chats</b>:",
    "admin.stats_zone": "<i>Days in {zone}.</i>",
    "admin.private_chat": "private chat",
    "admin.a_group": "a group",
    # --- the command menu (plain) -------------------------------------------------------------
    "cmd.imagine": "Draw a picture: /imagine a red fox in snow --ar 3:2",
    "cmd.blend": "Blend 2–5 pictures (album caption, reply, or links)",
    "cmd.describe": "Four prompts for a photo (caption or reply)",
    "cmd.shorten": "Shorter versions of a long prompt",
    "cmd.settings": "Your defaults: speed, version, aspect ratio, language…",
    "cmd.info": "Your jobs, today's usage and limits, your settings",
    "cmd.prefer": "/prefer suffix <text>: end every prompt with it",
    "cmd.fast": "Use fast mode",
    "cmd.relax": "Use relax mode",
    "cmd.turbo": "Use turbo mode",
    "cmd.help": "How to use the bot",
    "cmd.stats": "Jobs today and this week, failures, busiest users and chats",
    "cmd.allow": "Allow a user or chat (id, or reply); alone: list",
    "cmd.deny": "Refuse a user or chat (id, or reply)",
    "cmd.limit": "A user's daily limit: /limit <user id> <n | default>",
    # --- /settings, /prefer, /fast /relax /turbo ---------------------------------------------
    "settings.body": "⚙️ <b>Settings</b> of {who}\n"
    "Speed: <b>{speed}</b> · Version: <b>{version}</b>\n"
    "Aspect ratio: <b>{ar}</b> · Stylize: <b>{stylize}</b> · Raw style: <b>{raw}</b>\n"
    "Translate Chinese prompts: <b>{translate}</b>\n"
    "Notify me when done: <b>{notify}</b>\n"
    "Language: <b>{language}</b>\n"
    "Prompt suffix: <b>{suffix}</b>\n\n"
    "<i>Defaults apply only where your prompt sets nothing. "
    "<code>/prefer suffix &lt;text&gt;</code> sets the suffix.</i>",
    "settings.auto": "Auto",
    "settings.none": "none",
    "settings.hidden": "set (shown in a private chat)",
    "settings.toggle": "{label}: {state}",
    "settings.on": "on",
    "settings.off": "off",
    "settings.raw": "Raw style",
    "settings.translate": "Translate",
    "settings.notify": "🔔 Notify when done",
    "settings.speed_name.fast": "Fast",
    "settings.speed_name.relax": "Relax",
    "settings.speed_name.turbo": "Turbo",
    "settings.language_name": "English",
    "speed.set": "✅ Your jobs now run in <b>{speed}</b> mode.",
    "prefer.usage": "<code>/prefer suffix &lt;text&gt;</code> ends every prompt of yours with that text, "
    "for example <code>/prefer suffix --ar 16:9 --v 7</code>; <code>/prefer suffix</code> alone clears it.",
    "prefer.set": "✅ Your prompts now end with <code>{suffix}</code>.",
    "prefer.cleared": "✅ Your prompt suffix is cleared.",
    # --- /describe and /shorten ----------------------------------------------------------------
    "describe.usage": "Send /describe as the caption of a photo, or reply /describe to a photo, an image file "
    "or one of my pictures.",
    "describe.working": "🔎 Describing the picture for {who}…",
    "describe.result": "🔎 <b>Prompts for this picture</b>, for {who}:\n\n{lines}\n\n"
    "<i>Tap a number to imagine that prompt.</i>",
    "describe.empty": "🔎 Midjourney had no description for this picture.",
    "describe.failed": "❌ This picture could not be described: {reason}",
    "shorten.usage": "Give the prompt to shorten, for example:\n"
    "<code>/shorten a very detailed portrait of a fox, cinematic lighting, ultra realistic</code>",
    "shorten.working": "✂️ Shortening the prompt for {who}…",
    "shorten.result": "✂️ <b>Shorter prompts</b>, for {who}:\n\n{lines}\n\n<i>Tap a number to imagine that prompt.</i>",
    "shorten.empty": "✂️ Midjourney had no shorter version of this prompt.",
    "shorten.failed": "❌ This prompt could not be shortened: {reason}",
    # --- /info -----------------------------------------------------------------------------------
    "info.head": "ℹ️ <b>Jobs of {who}</b>",
    "info.running": "<b>Running</b>:",
    "info.queued": "<b>Waiting</b>:",
    "info.no_jobs": "Nothing running or waiting.",
    "info.job": "• {link} – {status}",
    "info.elsewhere": "… and {count} more in other chats.",
    "info.today": "<b>Today</b>: {used} jobs · daily limit: {limit}",
    "info.chat_today": "<b>This chat today</b>: {used} jobs · daily limit: {limit}",
    "info.active": "<b>Running or waiting</b>: {active} · limit: {limit}",
    "info.no_limit": "none",
    "info.resets": "Limits reset at {time} ({zone}).",
    "info.settings": "<b>Settings</b>: {speed} · version {version} · aspect ratio {ar} · stylize {stylize} · "
    "raw style {raw} · translate {translate} · notify {notify} · suffix {suffix}",
}

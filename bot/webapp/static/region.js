// The Draw mask page: paint over the picture, then Repaint (Telegram's MainButton; the page's own
// button where Telegram's script is missing). Works before, and without, Telegram's script:
// painting never waits for it, and the sign-in data is also read from the page address, where
// Telegram puts it (#tgWebAppData=…). Only with neither does sending say to open it from the chat.
(() => {
  "use strict";
  const S = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const pic = $("pic"), ink = $("ink"), stage = $("stage"), note = $("note"), preview = $("preview");
  const size = $("size"), dot = $("dot"), undo = $("undo"), clear = $("clear"), prompt = $("prompt");
  const own = $("send");
  const ctx = ink.getContext("2d");
  // The paint: 75 % opaque magenta (>= 3:1 against white and against black), edged with a black and
  // a white line so that it stands out on mid-tones too. The mask sent is the paint alone.
  const INK = "rgb(230, 0, 180)";
  const SEND_TIMEOUT_MS = 30000;
  const PERMANENT = new Set(["closed", "not_yours", "expired", "not_telegram"]);
  const fromAddress = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  const strokes = []; // each {size, points: [[x, y], ...]}, in fractions of the picture's width/height
  let current = null, pointer = null, tg = null, sending = false, done = false, broken = false;

  function say(message, kind) { note.textContent = message || ""; note.className = kind || ""; }
  function haptic(kind) {
    const feedback = tg && tg.HapticFeedback;
    if (!feedback) return;
    if (kind === "light") feedback.impactOccurred("light"); else feedback.notificationOccurred(kind);
  }
  function signIn() { return (tg && tg.initData) || fromAddress; }

  // The canvas lies exactly over the picture as shown, at the screen's device pixels; it follows
  // the picture whenever anything moves it (rotation, the keyboard, a message that wraps).
  function layout() {
    if (!pic.naturalWidth) return;
    const box = stage.getBoundingClientRect(), shown = pic.getBoundingClientRect();
    const ratio = Math.min(window.devicePixelRatio || 1, 4);
    ink.style.left = (shown.left - box.left) + "px";
    ink.style.top = (shown.top - box.top) + "px";
    ink.style.width = shown.width + "px";
    ink.style.height = shown.height + "px";
    const width = Math.max(1, Math.round(shown.width * ratio)), height = Math.max(1, Math.round(shown.height * ratio));
    if (ink.width !== width || ink.height !== height) { ink.width = width; ink.height = height; }
    redraw();
  }

  function draw(context, width, height, colour, extra) {
    context.strokeStyle = colour; context.lineCap = "round"; context.lineJoin = "round";
    for (const stroke of strokes) {
      context.lineWidth = stroke.size * width + extra;
      context.beginPath();
      context.moveTo(stroke.points[0][0] * width, stroke.points[0][1] * height);
      for (const [x, y] of stroke.points.length > 1 ? stroke.points.slice(1) : stroke.points) {
        context.lineTo(x * width, y * height);
      }
      context.stroke();
    }
  }

  function redraw() {
    const px = ink.width / (ink.getBoundingClientRect().width || 1); // device pixels per CSS pixel
    ctx.clearRect(0, 0, ink.width, ink.height);
    draw(ctx, ink.width, ink.height, "#ffffff", 8 * px);
    draw(ctx, ink.width, ink.height, "#000000", 4 * px);
    draw(ctx, ink.width, ink.height, INK, 0);
    undo.disabled = clear.disabled = strokes.length === 0 || sending || done;
  }

  function painting() {
    const out = document.createElement("canvas");
    out.width = ink.width; out.height = ink.height;
    draw(out.getContext("2d"), out.width, out.height, INK, 0);
    return out.toDataURL("image/png");
  }

  function at(event) {
    const r = ink.getBoundingClientRect();
    return [Math.min(Math.max((event.clientX - r.left) / r.width, 0), 1),
            Math.min(Math.max((event.clientY - r.top) / r.height, 0), 1)];
  }

  // One stroke at a time, by one finger (or the left mouse button): a second finger is ignored.
  ink.addEventListener("pointerdown", (event) => {
    if (sending || done || broken || !ink.width || current || !event.isPrimary || event.button !== 0) return;
    event.preventDefault();
    ink.setPointerCapture(event.pointerId);
    pointer = event.pointerId;
    const width = ink.getBoundingClientRect().width || 1;
    current = { size: Number(size.value) / width, points: [at(event)] };
    strokes.push(current);
    redraw();
    if (note.className === "error") say("");
  });
  ink.addEventListener("pointermove", (event) => {
    if (!current || event.pointerId !== pointer) return;
    event.preventDefault();
    current.points.push(at(event));
    redraw();
  });
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
    ink.addEventListener(name, (event) => { if (event.pointerId === pointer) { current = null; pointer = null; } });
  }

  // The brush: a small dot in the bar, and its true size over the picture while it changes.
  let hide = null;
  function showSize(big) {
    const value = Number(size.value);
    dot.style.width = dot.style.height = Math.min(value, 40) + "px";
    preview.style.width = preview.style.height = value + "px";
    if (!big) return;
    preview.hidden = false;
    clearTimeout(hide);
    hide = setTimeout(() => { preview.hidden = true; }, 700);
  }
  size.addEventListener("input", () => showSize(true));
  undo.addEventListener("click", () => { if (current) return; strokes.pop(); redraw(); haptic("light"); });
  clear.addEventListener("click", () => { if (current) return; strokes.length = 0; redraw(); haptic("light"); });

  function busy(on) {
    sending = on;
    own.disabled = on || done || broken;
    redraw();
    if (!tg || !tg.MainButton) return;
    if (on) { tg.MainButton.showProgress(false); tg.MainButton.disable(); }
    else { tg.MainButton.hideProgress(); if (done) tg.MainButton.disable(); else tg.MainButton.enable(); }
  }

  async function send() {
    if (sending || done || broken) return;
    if (!strokes.length) { say(S.empty, "error"); haptic("error"); return; }
    const initData = signIn();
    if (!initData) { say(S.not_telegram, "error"); haptic("error"); return; }
    busy(true);
    say(S.sending);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
    let response, answer = {};
    try {
      response = await fetch(location.pathname, {
        method: "POST", headers: { "Content-Type": "application/json" }, signal: abort.signal,
        body: JSON.stringify({ init_data: initData, mask: painting(), prompt: prompt.value }),
      });
      try { answer = await response.json(); } catch (e) { answer = {}; }
    } catch (e) {
      busy(false);
      say(abort.signal.aborted ? S.server : S.offline, "error"); haptic("error");
      return;
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {
      done = true; busy(false);
      say(S.sent, "ok"); haptic("success");
      if (tg && tg.MainButton) tg.MainButton.setText(S.sent_button);
      setTimeout(() => tg && tg.close && tg.close(), 1500);
      return;
    }
    done = PERMANENT.has(answer.error); // trying again cannot help: the button says so by staying off
    busy(false);
    say(answer.message || S[answer.error] || S.server, "error"); haptic("error");
  }
  own.addEventListener("click", send);
  prompt.addEventListener("keydown", (event) => { if (event.key === "Enter") prompt.blur(); });

  function failed() {
    broken = true;
    document.body.classList.add("failed");
    say(S.picture_failed, "error");
    own.disabled = true;
    if (tg && tg.MainButton) tg.MainButton.hide();
  }

  function theme() {
    const root = document.documentElement.style, params = (tg && tg.themeParams) || {};
    const names = { bg_color: "--tg-theme-bg-color", text_color: "--tg-theme-text-color", hint_color:
      "--tg-theme-hint-color", button_color: "--tg-theme-button-color", button_text_color:
      "--tg-theme-button-text-color", secondary_bg_color: "--tg-theme-secondary-bg-color",
      destructive_text_color: "--tg-theme-destructive-text-color" };
    for (const [key, name] of Object.entries(names)) if (params[key]) root.setProperty(name, params[key]);
    if (tg && tg.colorScheme) document.documentElement.style.colorScheme = tg.colorScheme;
    if (tg && tg.setHeaderColor && params.bg_color) tg.setHeaderColor(params.bg_color);
  }

  // Telegram's script arrives (or fails) whenever it does; the page works meanwhile.
  window.regionTelegram = (loaded) => {
    const app = loaded && window.Telegram && window.Telegram.WebApp;
    if (!app || tg) { if (!app && !fromAddress) say(S.not_telegram); return; }
    tg = app;
    tg.ready();
    tg.expand();
    if (tg.disableVerticalSwipes) tg.disableVerticalSwipes();
    theme();
    if (tg.onEvent) { tg.onEvent("themeChanged", theme); tg.onEvent("viewportChanged", layout); }
    if (!signIn()) { say(S.not_telegram); return; }
    if (tg.MainButton && !broken) {
      tg.MainButton.setParams({ text: S.repaint, is_visible: true, is_active: !done });
      tg.MainButton.onClick(send);
      own.hidden = true;
    }
    layout();
  };
  if (window.Telegram && window.Telegram.WebApp) window.regionTelegram(true);

  pic.addEventListener("load", layout);
  pic.addEventListener("error", failed);
  window.addEventListener("resize", layout);
  if (window.ResizeObserver) new ResizeObserver(layout).observe(stage);
  if (pic.complete) { if (pic.naturalWidth) layout(); else failed(); }
  showSize(false);
  redraw();
})();

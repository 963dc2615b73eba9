// The Draw mask page: paint over the picture with the brush or drag boxes, then Repaint (Telegram's
// MainButton; the page's own button where Telegram's script is missing). Works before, and without, Telegram's script:
// painting never waits for it, and the sign-in data is also read from the page address, where
// Telegram puts it (#tgWebAppData=…). Only with neither does sending say to open it from the chat.
(() => {
  "use strict";
  const S = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const pic = $("pic"), ink = $("ink"), stage = $("stage"), note = $("note"), preview = $("preview");
  const size = $("size"), dot = $("dot"), undo = $("undo"), clear = $("clear"), prompt = $("prompt");
  const own = $("send"), head = $("head"), side = $("side"), brush = $("brush"), box = $("box");
  const ctx = ink.getContext("2d");
  // The paint: magenta at 45 %, so what is being repainted shows through (overlaps do not darken),
  // edged with a black and a white line, so that it stands out on any picture. The mask sent is the
  // paint alone, opaque.
  const INK = "rgb(230, 0, 180)", INK_ALPHA = 0.45;
  const edge = document.createElement("canvas"), fill = document.createElement("canvas");
  const SEND_TIMEOUT_MS = 30000;
  const PERMANENT = new Set(["closed", "not_yours", "expired", "not_telegram"]);
  const fromAddress = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  // Each shape is {kind: "line", size, points: [[x, y], ...]} or {kind: "box", points: [corner, corner]},
  // in fractions of the picture's width and height.
  const strokes = [];
  let current = null, pointer = null, tg = null, sending = false, done = false, broken = false, tool = "line";

  function say(message, kind) { note.textContent = message || ""; note.className = kind || ""; }
  function haptic(kind) {
    const feedback = tg && tg.HapticFeedback;
    if (!feedback) return;
    if (kind === "light") feedback.impactOccurred("light"); else feedback.notificationOccurred(kind);
  }
  function signIn() { return (tg && tg.initData) || fromAddress; }

  // The picture as large as it fits: the full width, or the free height (what the instruction and
  // the controls leave) when that binds first; beside the controls on a landscape phone. The canvas
  // lies exactly over it, at the screen's device pixels, and follows it whenever anything moves it
  // (rotation, the keyboard, a message that wraps).
  function fit() {
    const width = pic.naturalWidth, height = pic.naturalHeight;
    const beside = getComputedStyle(document.body).gridTemplateColumns.trim().split(/\s+/).length > 1;
    const freeWidth = beside ? stage.clientWidth - 16 : document.body.clientWidth;
    const freeHeight = beside ? stage.clientHeight - 16
      : document.body.clientHeight - head.offsetHeight - side.offsetHeight;
    const scale = Math.max(0, Math.min(freeWidth / width, freeHeight / height));
    pic.style.maxWidth = pic.style.maxHeight = "none";
    pic.style.width = Math.floor(width * scale) + "px";
    pic.style.height = Math.floor(height * scale) + "px";
  }

  function layout() {
    if (!pic.naturalWidth || broken) return;
    fit();
    const box = stage.getBoundingClientRect(), shown = pic.getBoundingClientRect();
    const ratio = Math.min(window.devicePixelRatio || 1, 4);
    ink.style.left = (shown.left - box.left) + "px";
    ink.style.top = (shown.top - box.top) + "px";
    ink.style.width = shown.width + "px";
    ink.style.height = shown.height + "px";
    const width = Math.max(1, Math.round(shown.width * ratio)), height = Math.max(1, Math.round(shown.height * ratio));
    if (ink.width !== width || ink.height !== height) {
      ink.width = edge.width = fill.width = width; ink.height = edge.height = fill.height = height;
    }
    redraw();
  }

  // Every shape, grown by `extra` device pixels (half of it on each side: the edge lines).
  function draw(context, width, height, colour, extra) {
    context.strokeStyle = context.fillStyle = colour; context.lineCap = "round"; context.lineJoin = "round";
    for (const shape of strokes) {
      if (shape.kind === "box") {
        const [[x0, y0], [x1, y1]] = shape.points;
        const x = Math.min(x0, x1) * width, y = Math.min(y0, y1) * height;
        const w = Math.abs(x1 - x0) * width, h = Math.abs(y1 - y0) * height;
        context.fillRect(x, y, w, h);
        if (extra > 0) { context.lineWidth = extra; context.strokeRect(x, y, w, h); }
        continue;
      }
      context.lineWidth = shape.size * width + extra;
      context.beginPath();
      context.moveTo(shape.points[0][0] * width, shape.points[0][1] * height);
      for (const [x, y] of shape.points.length > 1 ? shape.points.slice(1) : shape.points) {
        context.lineTo(x * width, y * height);
      }
      context.stroke();
    }
  }

  // The edge (a white and a black line around everything painted) fully opaque, the paint within
  // it see-through: each drawn whole on its own layer, so that overlapping shapes show one paint.
  function redraw() {
    const px = ink.width / (ink.getBoundingClientRect().width || 1); // device pixels per CSS pixel
    const lines = edge.getContext("2d"), paint = fill.getContext("2d");
    lines.clearRect(0, 0, edge.width, edge.height);
    draw(lines, edge.width, edge.height, "#ffffff", 8 * px);
    draw(lines, edge.width, edge.height, "#000000", 4 * px);
    lines.globalCompositeOperation = "destination-out";
    draw(lines, edge.width, edge.height, "#000000", 0);
    lines.globalCompositeOperation = "source-over";
    paint.clearRect(0, 0, fill.width, fill.height);
    draw(paint, fill.width, fill.height, INK, 0);
    ctx.clearRect(0, 0, ink.width, ink.height);
    if (ink.width > 1 && edge.width > 1) {
      ctx.drawImage(edge, 0, 0);
      ctx.globalAlpha = INK_ALPHA;
      ctx.drawImage(fill, 0, 0);
      ctx.globalAlpha = 1;
    }
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

  // One shape at a time, by one finger (or the left mouse button): a second finger is ignored. The
  // brush follows the finger; a box is dragged from one corner to the other.
  ink.addEventListener("pointerdown", (event) => {
    if (sending || done || broken || !ink.width || current || !event.isPrimary || event.button !== 0) return;
    event.preventDefault();
    ink.setPointerCapture(event.pointerId);
    pointer = event.pointerId;
    const width = ink.getBoundingClientRect().width || 1;
    current = tool === "box" ? { kind: "box", points: [at(event), at(event)] }
      : { kind: "line", size: Number(size.value) / width, points: [at(event)] };
    strokes.push(current);
    redraw();
    if (note.className === "error") say("");
  });
  ink.addEventListener("pointermove", (event) => {
    if (!current || event.pointerId !== pointer) return;
    event.preventDefault();
    if (current.kind === "box") current.points[1] = at(event); else current.points.push(at(event));
    redraw();
  });
  function flat(shape) { // a tap with the box tool: no box
    const r = ink.getBoundingClientRect(), [[x0, y0], [x1, y1]] = shape.points;
    return shape.kind === "box" && (Math.abs(x1 - x0) * r.width < 4 || Math.abs(y1 - y0) * r.height < 4);
  }
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
    ink.addEventListener(name, (event) => {
      if (event.pointerId !== pointer) return;
      if (flat(current) && strokes[strokes.length - 1] === current) { strokes.pop(); redraw(); }
      current = null; pointer = null;
    });
  }

  function choose(kind) {
    if (current) return;
    tool = kind;
    brush.setAttribute("aria-pressed", String(kind === "line"));
    box.setAttribute("aria-pressed", String(kind === "box"));
    size.disabled = kind === "box"; // the brush's size does not apply to a box
    haptic("light");
  }
  brush.addEventListener("click", () => choose("line"));
  box.addEventListener("click", () => choose("box"));

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
      response = await fetch(document.body.dataset.action, {
        // The sign-in goes first, in a header: the bot checks it before reading the painting.
        method: "POST", signal: abort.signal,
        headers: { "Content-Type": "application/json", "Authorization": "tma " + initData },
        body: JSON.stringify({ mask: painting(), prompt: prompt.value }),
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
    current = null;
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
  if (window.ResizeObserver) { const watch = new ResizeObserver(layout); for (const it of [document.body, head, side]) watch.observe(it); }
  if (pic.complete) { if (pic.naturalWidth) layout(); else failed(); }
  showSize(false);
  redraw();
})();

// The Draw mask page: paint over the picture, then Repaint (Telegram's MainButton; the page's own
// button where Telegram's is missing). Works before, and without, Telegram's script: painting never
// waits for it, and sending says to open the page from the chat when there is no Telegram sign-in.
(() => {
  "use strict";
  const S = JSON.parse(document.getElementById("strings").textContent);
  const $ = (id) => document.getElementById(id);
  const pic = $("pic"), ink = $("ink"), stage = $("stage"), note = $("note");
  const size = $("size"), dot = $("dot"), undo = $("undo"), clear = $("clear"), prompt = $("prompt");
  const own = $("send");
  const ctx = ink.getContext("2d");
  const INK = "rgb(230, 0, 180)"; // 0.75 opaque: >= 3:1 against white and against black
  const strokes = []; // each {size, points: [[x, y], ...]}, in fractions of the picture's width/height
  let current = null, tg = null, sending = false, done = false;

  function say(message, kind) { note.textContent = message || ""; note.className = kind || ""; }
  function haptic(kind) {
    const feedback = tg && tg.HapticFeedback;
    if (!feedback) return;
    if (kind === "light") feedback.impactOccurred("light"); else feedback.notificationOccurred(kind);
  }

  // The canvas lies exactly over the picture as shown, at the screen's device pixels.
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

  function line(stroke) {
    const points = stroke.points;
    ctx.lineWidth = stroke.size * ink.width;
    ctx.beginPath();
    ctx.moveTo(points[0][0] * ink.width, points[0][1] * ink.height);
    for (const [x, y] of points.length > 1 ? points.slice(1) : points) ctx.lineTo(x * ink.width, y * ink.height);
    ctx.stroke();
  }

  function redraw() {
    ctx.clearRect(0, 0, ink.width, ink.height);
    ctx.strokeStyle = INK; ctx.lineCap = "round"; ctx.lineJoin = "round";
    for (const stroke of strokes) line(stroke);
    undo.disabled = clear.disabled = strokes.length === 0 || sending;
  }

  function at(event) {
    const r = ink.getBoundingClientRect();
    return [Math.min(Math.max((event.clientX - r.left) / r.width, 0), 1),
            Math.min(Math.max((event.clientY - r.top) / r.height, 0), 1)];
  }

  ink.addEventListener("pointerdown", (event) => {
    if (sending || done || !ink.width) return;
    event.preventDefault();
    ink.setPointerCapture(event.pointerId);
    const width = ink.getBoundingClientRect().width || 1;
    current = { size: Number(size.value) / width, points: [at(event)] };
    strokes.push(current);
    redraw();
    if (note.className === "error") say("");
  });
  ink.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    current.points.push(at(event));
    redraw();
  });
  for (const name of ["pointerup", "pointercancel"]) ink.addEventListener(name, () => { current = null; });

  function showSize() {
    const px = Math.min(Number(size.value), 44);
    dot.style.width = dot.style.height = px + "px";
    dot.title = size.value + " px";
  }
  size.addEventListener("input", showSize);
  undo.addEventListener("click", () => { strokes.pop(); redraw(); haptic("light"); });
  clear.addEventListener("click", () => { strokes.length = 0; redraw(); haptic("light"); });

  function busy(on) {
    sending = on;
    own.disabled = on || done;
    redraw();
    if (!tg || !tg.MainButton) return;
    if (on) { tg.MainButton.showProgress(false); tg.MainButton.disable(); }
    else { tg.MainButton.hideProgress(); if (done) tg.MainButton.disable(); else tg.MainButton.enable(); }
  }

  async function send() {
    if (sending || done) return;
    if (!strokes.length) { say(S.empty, "error"); haptic("error"); return; }
    if (!tg || !tg.initData) { say(S.not_telegram, "error"); haptic("error"); return; }
    busy(true);
    say(S.sending);
    let response, answer = {};
    try {
      response = await fetch(location.pathname, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ init_data: tg.initData, mask: ink.toDataURL("image/png"), prompt: prompt.value }),
      });
      try { answer = await response.json(); } catch (e) { answer = {}; }
    } catch (e) {
      busy(false);
      say(S.offline, "error"); haptic("error");
      return;
    }
    if (response.ok) {
      done = true; busy(false);
      say(S.sent, "ok"); haptic("success");
      if (tg.MainButton) tg.MainButton.setText(S.sent_button);
      setTimeout(() => tg.close && tg.close(), 1500);
      return;
    }
    busy(false);
    say(answer.message || S[answer.error] || S.server, "error"); haptic("error");
  }
  own.addEventListener("click", send);
  prompt.addEventListener("keydown", (event) => { if (event.key === "Enter") prompt.blur(); });

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
    if (!app || tg) { if (!app) say(S.not_telegram); return; }
    tg = app;
    tg.ready();
    tg.expand();
    if (tg.disableVerticalSwipes) tg.disableVerticalSwipes();
    theme();
    if (tg.onEvent) { tg.onEvent("themeChanged", theme); tg.onEvent("viewportChanged", layout); }
    if (!tg.initData) { say(S.not_telegram); return; }
    if (tg.MainButton) {
      tg.MainButton.setParams({ text: S.repaint, is_visible: true, is_active: true });
      tg.MainButton.onClick(send);
      own.hidden = true;
    }
    layout();
  };
  if (window.Telegram && window.Telegram.WebApp) window.regionTelegram(true);

  pic.addEventListener("load", layout);
  pic.addEventListener("error", () => { say(S.picture_failed, "error"); own.disabled = true; });
  window.addEventListener("resize", layout);
  if (pic.complete) { if (pic.naturalWidth) layout(); else { say(S.picture_failed, "error"); own.disabled = true; } }
  showSize();
  redraw();
})();

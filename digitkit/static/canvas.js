// The drawing canvas of digitkit.widgets.DrawingCanvas (an anywidget ES module).
//
// Strokes are drawn here, in the browser, on every pointer move; Python hears
// nothing until the pen lifts. On pointerup the whole canvas goes to the
// kernel once, as a PNG data URL in the `image_data` trait. Mouse, touch and
// pen all arrive as pointer events.
//
// Synced traits: size (px, square), brush (stroke width in px), image_data
// (PNG data URL; "" means blank). When Python sets image_data (set_image,
// clear) the canvas shows that picture.

const INK = "#ffffff";
const PAPER = "#000000";

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "digitkit-canvas";

  const canvas = document.createElement("canvas");
  canvas.className = "digitkit-canvas-surface";
  canvas.setAttribute("aria-label", "Drawing canvas: draw a digit");
  const ctx = canvas.getContext("2d");

  const controls = document.createElement("div");
  controls.className = "digitkit-canvas-controls";
  const brushLabel = document.createElement("label");
  const brushInput = document.createElement("input");
  brushInput.type = "range";
  brushInput.min = "2";
  brushInput.max = "60";
  brushInput.className = "digitkit-canvas-brush";
  const brushValue = document.createElement("span");
  brushLabel.append("Brush ", brushInput, brushValue);
  const clearButton = document.createElement("button");
  clearButton.className = "digitkit-canvas-clear";
  clearButton.textContent = "Clear";
  controls.append(brushLabel, clearButton);
  root.append(canvas, controls);
  el.appendChild(root);

  // What this view shows: the data URL it last sent or loaded. An incoming
  // change equal to it (the kernel's echo of our own stroke) is not redrawn.
  let shown = model.get("image_data");
  let pointerId = null;
  let last = null;

  function paintBlank() {
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function load(url) {
    paintBlank();
    if (!url) return;
    const img = new Image();
    img.onload = () => {
      if (shown !== url) return; // a newer picture arrived meanwhile
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    };
    img.src = url;
  }

  function resize() {
    const size = model.get("size");
    canvas.width = size;
    canvas.height = size;
    canvas.style.width = `${size}px`;
    canvas.style.height = `${size}px`;
    load(shown);
  }

  function showBrush() {
    brushInput.value = String(model.get("brush"));
    brushValue.textContent = ` ${model.get("brush")} px`;
  }

  function send(url) {
    shown = url;
    model.set("image_data", url);
    model.save_changes();
  }

  function point(event) {
    // clientLeft/clientTop skip the CSS border; client size is the drawing area.
    const box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left - canvas.clientLeft) * canvas.width) / canvas.clientWidth,
      ((event.clientY - box.top - canvas.clientTop) * canvas.height) / canvas.clientHeight,
    ];
  }

  function dot([x, y]) {
    ctx.fillStyle = INK;
    ctx.beginPath();
    ctx.arc(x, y, model.get("brush") / 2, 0, 2 * Math.PI);
    ctx.fill();
  }

  function segment(from, to) {
    ctx.strokeStyle = INK;
    ctx.lineWidth = model.get("brush");
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  }

  function onDown(event) {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    if (pointerId !== null) return; // a second finger does not start a stroke
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    pointerId = event.pointerId;
    last = point(event);
    dot(last);
  }

  function onMove(event) {
    if (event.pointerId !== pointerId) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) {
      const p = point(e);
      segment(last, p);
      last = p;
    }
  }

  function onUp(event) {
    if (event.pointerId !== pointerId) return;
    pointerId = null;
    last = null;
    send(canvas.toDataURL("image/png")); // the one message per stroke
  }

  function onClear() {
    paintBlank();
    send("");
  }

  function onBrushInput() {
    model.set("brush", Number(brushInput.value));
    model.save_changes();
  }

  function onImageChange() {
    const url = model.get("image_data");
    if (url === shown) return;
    shown = url;
    load(url);
  }

  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  clearButton.addEventListener("click", onClear);
  brushInput.addEventListener("input", onBrushInput);
  model.on("change:image_data", onImageChange);
  model.on("change:size", resize);
  model.on("change:brush", showBrush);

  resize();
  showBrush();

  return () => {
    model.off("change:image_data", onImageChange);
    model.off("change:size", resize);
    model.off("change:brush", showBrush);
  };
}

export default { render };

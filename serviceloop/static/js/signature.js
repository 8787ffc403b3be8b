/*
 * The customer's signature on the service report (售后服务记录单), on the engineer's phone.
 *
 * A form marked data-signature-form holds a canvas[data-signature], a hidden input name="signature",
 * a [data-signature-clear] button and a [data-signature-error] box. On submit the drawing goes into the
 * hidden input as a PNG data URL; an empty canvas is refused here (the server validates again: a blank,
 * oversized or non-PNG image is refused there with the same kind of message).
 * Needs vendor/signature_pad (window.SignaturePad).
 */
(function () {
  "use strict";

  // the server refuses images over 300 KiB; stay well below it (base64 grows by 4/3)
  var MAX_DATA_URL = 360000;

  function smallerDataUrl(canvas) {
    // a large high-density canvas: export at one pixel per CSS pixel instead
    var copy = document.createElement("canvas");
    copy.width = Math.max(20, Math.round(canvas.offsetWidth));
    copy.height = Math.max(20, Math.round(canvas.offsetHeight));
    copy.getContext("2d").drawImage(canvas, 0, 0, copy.width, copy.height);
    return copy.toDataURL("image/png");
  }

  function init(form) {
    var canvas = form.querySelector("canvas[data-signature]");
    var input = form.querySelector("input[name=signature]");
    var clearButton = form.querySelector("[data-signature-clear]");
    var errorBox = form.querySelector("[data-signature-error]");
    if (!canvas || !input || typeof window.SignaturePad !== "function") {
      return;
    }
    var pad = new window.SignaturePad(canvas, {
      penColor: "#10103c",
      backgroundColor: "rgba(0,0,0,0)",
      minWidth: 1,
      maxWidth: 3
    });
    var width = 0;

    function showError(message) {
      if (!errorBox) { return; }
      if (message) { errorBox.textContent = message; }
      errorBox.classList.remove("d-none");
    }

    function hideError() {
      if (errorBox) { errorBox.classList.add("d-none"); }
    }

    function resize() {
      // only when the width changes: a phone's address bar showing or hiding must not wipe the strokes
      if (canvas.offsetWidth === width) { return; }
      width = canvas.offsetWidth;
      var strokes = pad.toData();
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (strokes.length) { pad.fromData(strokes); }
    }

    window.addEventListener("resize", resize);
    resize();

    if (canvas.dataset.restore) {
      // the form came back with a message about another field: keep the signature already given
      pad.fromDataURL(canvas.dataset.restore).catch(function () { pad.clear(); });
    }

    pad.addEventListener("beginStroke", hideError);

    if (clearButton) {
      clearButton.addEventListener("click", function () {
        pad.clear();
        input.value = "";
        canvas.focus();
      });
    }

    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        input.value = "";
        showError(errorBox ? errorBox.dataset.emptyMessage : "");
        canvas.scrollIntoView({behavior: "smooth", block: "center"});
        canvas.focus();
        return;
      }
      var data = pad.toDataURL("image/png");
      if (data.length > MAX_DATA_URL) {
        data = smallerDataUrl(canvas);
      }
      input.value = data;
    });
  }

  function start() {
    document.querySelectorAll("form[data-signature-form]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* The resize script for pages that embed the map (a plain script, no module: WordPress and CKAN pages load it
   as it is). Every iframe of this service on the page takes the height its embed posts (a message
   {type: "mapservice:height", height}), however many there are; messages from other origins are ignored.
   Usage: <script src="https://<this service>/static/js/embed-resize.js" async></script> once, anywhere. */
(function () {
  "use strict";
  if (window.__mapserviceEmbedResize) return;
  window.__mapserviceEmbedResize = true;
  var script = document.currentScript;
  var origin = script ? new URL(script.src, location.href).origin : null;

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!origin || event.origin !== origin || !data || data.type !== "mapservice:height") return;
    var height = Number(data.height);
    if (!isFinite(height) || height <= 0) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i += 1) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.aspectRatio = "auto";
        frames[i].style.minHeight = "0";
        frames[i].style.height = Math.ceil(height) + "px";
      }
    }
  });
  // embeds that loaded before this script ask again: each of ours answers with its height
  var frames = document.getElementsByTagName("iframe");
  for (var i = 0; i < frames.length; i += 1) {
    if (origin && frames[i].src && new URL(frames[i].src, location.href).origin === origin && frames[i].contentWindow) {
      frames[i].contentWindow.postMessage({ type: "mapservice:send-height" }, origin);
    }
  }
}());

// Registers the service worker that shows the offline page when there is no network
// (templates/service-worker.js). Without one (an old browser, plain http) nothing
// else changes, so a refusal is ignored.
"use strict";

if ("serviceWorker" in navigator) {
  const url = document.currentScript.dataset.worker;
  navigator.serviceWorker.register(url).catch(() => {});
}

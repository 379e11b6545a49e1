{% autoescape off %}// Relief Tracker's service worker, version {{ version }}.
//
// It keeps exactly the files listed in CACHED: the offline page and the style
// sheets it needs, none of them about anyone. Every other request goes to the
// network as if there were no worker; when a page cannot load at all, the
// offline page is shown instead of the browser's error.
"use strict";

const CACHE = "relief-{{ version }}";
const CACHED = {{ cached }};
const OFFLINE = CACHED[0];

self.addEventListener("install", (event) => {
  // Fetched without cookies: what is stored is what anyone signed out would see.
  const requests = CACHED.map((url) => new Request(url, { credentials: "omit" }));
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(requests)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  } else if (CACHED.includes(new URL(request.url).pathname)) {
    // The offline page's style sheets: fresh from the network, the copy only without one.
    event.respondWith(fetch(request).catch(() => caches.match(request)));
  }
});
{% endautoescape %}

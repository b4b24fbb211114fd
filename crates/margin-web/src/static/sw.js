// Margin's service worker, on a mirror's public site: pages a visitor has opened stay
// readable without a connection. Network first (a review changes while you read), the
// copy kept from the last visit when the network fails. Live events and posted entries
// are never cached.
'use strict';
const CACHE = 'margin-pages-v1';
const KEPT = [/^\/$/, /^\/spaces\//, /^\/drafts\//, /^\/comments\//, /^\/search/, /^\/participate$/,
  /^\/static\//, /^\/api\/spaces\/[0-9a-f]+\/context/, /^\/manifest\.webmanifest$/];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(['/'])).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (!KEPT.some((path) => path.test(url.pathname))) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const fresh = await fetch(request);
      if (fresh.ok) await cache.put(request, fresh.clone());
      return fresh;
    } catch (offline) {
      const kept = await cache.match(request, { ignoreVary: true });
      if (kept) return kept;
      throw offline;
    }
  })());
});

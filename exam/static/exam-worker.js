// The exam page's service worker: keeps the candidate's own exam page, its paper (the API's
// GET, which never holds an answer key) and the page's assets, so that a reload without a
// network shows the paper and the answers queued on the device. Everything else goes to the
// network untouched. Each attempt has a cache of its own ("anpei-attempt-<id>"), deleted when
// the attempt is submitted (the page asks) and on logout; assets share "anpei-assets".
"use strict";

var ASSETS = "anpei-assets";
var PAGE = /^\/attempts\/(\d+)$/;
var PAPER = /^\/api\/v1\/attempts\/(\d+)$/;
var ASSET = /^\/((static|bootstrap)\/|favicon\.ico$)/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

function attemptCache(id) { return "anpei-attempt-" + id; }

function forgetAttempts() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("anpei-attempt-") === 0; })
      .map(function (n) { return caches.delete(n); }));
  });
}

// The paper kept for later says when it was kept: the page corrects its clock by it.
function stamped(response) {
  return response.clone().text().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set("X-Anpei-Kept-At", String(Date.now()));
    return new Response(body, {status: response.status, headers: headers});
  });
}

// The network first; what it answers with success is kept, and what was kept answers when
// the network cannot. A refusal (the session ended, another person) is never kept.
function networkFirst(request, cacheName, stamp) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected) {
      var kept = stamp ? stamped(response) : Promise.resolve(response.clone());
      kept.then(function (copy) {
        return caches.open(cacheName).then(function (cache) { return cache.put(request.url, copy); });
      });
    }
    return response;
  }, function (error) {
    return caches.open(cacheName).then(function (cache) { return cache.match(request.url, {ignoreVary: true}); })
      .then(function (kept) {
        if (!kept) { throw error; }
        if (!stamp) { return kept; }
        var headers = new Headers(kept.headers);
        headers.set("X-Anpei-Offline", "1");
        return kept.text().then(function (body) {
          return new Response(body, {status: 200, headers: headers});
        });
      });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === "/logout") {
    // Signing out forgets every attempt kept on this device, before the sign-out goes on.
    event.respondWith(forgetAttempts().then(function () { return fetch(request); }));
    return;
  }
  if (request.method !== "GET") { return; }
  var page = PAGE.exec(url.pathname);
  if (page && request.mode === "navigate" && !url.search) {
    event.respondWith(networkFirst(request, attemptCache(page[1]), false));
    return;
  }
  var paper = PAPER.exec(url.pathname);
  if (paper && !url.search) {
    event.respondWith(networkFirst(request, attemptCache(paper[1]), true));
    return;
  }
  if (ASSET.test(url.pathname)) { event.respondWith(networkFirst(request, ASSETS, false)); }
});

// The page names what it needs kept (itself, its paper and its assets), which it loaded before this
// worker controlled it; the page asks too for an attempt to be forgotten once submitted.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.forget) {
    event.waitUntil(caches.delete(attemptCache(data.forget)));
    return;
  }
  if (!data.keep || !PAGE.test(new URL(data.page, self.location.origin).pathname)) { return; }
  var id = PAGE.exec(new URL(data.page, self.location.origin).pathname)[1];
  event.waitUntil(Promise.all([
    caches.open(attemptCache(id)).then(function (cache) {
      return Promise.all([
        fetch(data.page, {credentials: "same-origin"}).then(function (response) {
          if (response.ok && !response.redirected) { return cache.put(data.page, response); }
        }),
        PAPER.test(new URL(data.paper, self.location.origin).pathname) &&
          fetch(data.paper, {credentials: "same-origin", headers: {"Accept": "application/json"}})
            .then(function (response) {
              if (response.ok && !response.redirected) {
                return stamped(response).then(function (copy) { return cache.put(data.paper, copy); });
              }
            })
      ]);
    }),
    caches.open(ASSETS).then(function (cache) {
      return Promise.all(data.keep.filter(function (u) {
        var asset = new URL(u, self.location.origin);
        return asset.origin === self.location.origin && ASSET.test(asset.pathname);
      }).map(function (u) {
        return fetch(u).then(function (response) { if (response.ok) { return cache.put(u, response); } });
      }));
    })
  ]).catch(function () { /* kept next time */ }));
});

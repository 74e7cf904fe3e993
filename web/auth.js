// The server's API key, when it asks for one (parley serve --api-key): the page's API calls go through
// ParleyAuth.fetch, which sends the key kept in this browser (localStorage) as `Authorization: Bearer`
// and, when the server answers 401, asks the user for the key once and tries again. A server without
// keys never answers 401, so nothing changes there.
"use strict";

const ParleyAuth = (() => {
  const STORAGE = "parley-api-key";
  let asking = null;  // one question for all the calls refused at the same moment

  function storedKey() {
    try { return localStorage.getItem(STORAGE) || ""; } catch { return ""; }
  }

  function withKey(options, key) {
    if (!key) return options;
    const headers = new Headers(options.headers || {});
    headers.set("Authorization", `Bearer ${key}`);
    return { ...options, headers };
  }

  function askKey() {
    if (!asking) {
      asking = new Promise((resolve) => {
        const key = (window.prompt("This Parley server needs an API key:") || "").trim();
        try { if (key) localStorage.setItem(STORAGE, key); else localStorage.removeItem(STORAGE); } catch { /* private mode */ }
        resolve(key);
      }).finally(() => { asking = null; });
    }
    return asking;
  }

  async function authFetch(url, options = {}) {
    const used = storedKey();
    const response = await fetch(url, withKey(options, used));
    if (response.status !== 401) return response;
    // Another call may have been given a new key meanwhile: use it rather than ask again.
    const current = storedKey();
    const key = current && current !== used ? current : await askKey();
    return key ? fetch(url, withKey(options, key)) : response;
  }

  return { fetch: authFetch };
})();

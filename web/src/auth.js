// The session: a bearer token kept in sessionStorage, so it lives only as long as this tab.

const KEY = "wxo.token";

export function loadToken() {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(KEY, token);
}

// Signing out forgets everything this tab kept (the token, the last search, the chosen agent).
export function clearToken() {
  sessionStorage.clear();
}

// What a token says about its holder (the server's tokens are JWTs; an opaque one says nothing).
export function describeToken(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(part));
    return {
      tenant: claims.tenant_name || claims.tenant_id || null,
      user: claims.username || claims.sub || null,
    };
  } catch {
    return { tenant: null, user: null };
  }
}

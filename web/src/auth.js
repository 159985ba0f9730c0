// The session: a bearer token kept in sessionStorage, so it lives only as long as this tab.

const KEY = "wxo.token";

export function loadToken() {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
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

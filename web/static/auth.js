// Signing in, when the deployment asks for it (config.js `auth`): Cognito's
// hosted UI, or any OAuth 2.0 server with the same paths, through the
// authorization-code flow with PKCE (RFC 7636). The page is a public
// client: it holds no secret, only a one-time verifier in sessionStorage
// while the browser is away, then the tokens in sessionStorage (gone when
// the tab closes), sent as `Authorization: Bearer` with each prediction.

const config = (window.CLASSIFLY_CONFIG || {}).auth || null;

const TOKENS = "classifly.auth"; // {access_token, id_token, expires_at}
const PENDING = "classifly.auth.pending"; // {state, verifier} while signing in

// enabled tells whether this deployment wants a signed-in user.
export const enabled = Boolean(config && config.authority && config.clientId);

const authority = enabled ? String(config.authority).replace(/\/+$/, "") : "";
// Back to this very page, without the code and state Cognito adds.
const redirectURI = enabled ? config.redirectUri || location.origin + location.pathname : "";

function read(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

// lapsed says why the person is not signed in (any more): "" never was,
// "expired" by the page's clock, "refused" by the API.
let lapsed = "";

export function lapse() {
  return lapsed;
}

// tokens returns the stored tokens, or null when there are none or they
// have expired by the page's clock (then they are dropped).
function tokens() {
  const t = read(TOKENS);
  if (!t) return null;
  if (typeof t.access_token !== "string" || !(t.expires_at > Date.now())) {
    sessionStorage.removeItem(TOKENS);
    lapsed = "expired";
    return null;
  }
  return t;
}

export function signedIn() {
  return tokens() !== null;
}

// authHeaders adds the bearer token, if any, to a request's headers.
export function authHeaders(headers = {}) {
  const t = tokens();
  return t ? { ...headers, Authorization: `Bearer ${t.access_token}` } : headers;
}

// forget drops the tokens after the API refused them.
export function forget() {
  if (tokens()) lapsed = "refused";
  sessionStorage.removeItem(TOKENS);
}

// userName is what the page shows of who is signed in: the ID token's
// email (the page only displays it; the API verifies the access token).
export function userName() {
  const t = tokens();
  if (!t || typeof t.id_token !== "string") return "";
  try {
    const payload = t.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return String(claims.email || claims["cognito:username"] || claims.sub || "");
  } catch {
    return "";
  }
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

// signIn leaves for the sign-in page with a fresh PKCE verifier and state.
export async function signIn() {
  const verifier = randomString();
  const state = randomString();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier }));
  const q = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectURI,
    scope: config.scope || "openid",
    state,
    code_challenge: base64url(digest),
    code_challenge_method: "S256",
  });
  location.assign(`${authority}/oauth2/authorize?${q}`);
}

// signOut forgets the tokens and ends the hosted UI's session too.
export function signOut() {
  sessionStorage.removeItem(TOKENS);
  const q = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectURI });
  location.assign(`${authority}/logout?${q}`);
}

// finishSignIn completes a sign-in when the page comes back from the sign-in
// page with ?code=…&state=…: it checks the state, trades the code and the
// verifier for tokens, and tidies the address bar. It returns an error
// message for the person, or "" when there was nothing to do or all went
// well.
export async function finishSignIn() {
  if (!enabled) return "";
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const failure = params.get("error");
  if (!code && !failure) return "";
  const pending = read(PENDING);
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", location.pathname + location.hash);
  if (failure) return `Sign-in failed: ${params.get("error_description") || failure}.`;
  if (!pending || pending.state !== params.get("state")) {
    return "Sign-in failed: the answer did not belong to this page's request. Please sign in again.";
  }
  let res;
  try {
    res = await fetch(`${authority}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: config.clientId,
        code,
        redirect_uri: redirectURI,
        code_verifier: pending.verifier,
      }),
    });
  } catch {
    return "Sign-in failed: the sign-in service could not be reached.";
  }
  const data = await res.json().catch(() => null);
  if (!res.ok || !data || typeof data.access_token !== "string") {
    return `Sign-in failed: ${(data && (data.error_description || data.error)) || `HTTP ${res.status}`}.`;
  }
  const lifetime = Number(data.expires_in) > 0 ? Number(data.expires_in) : 3600;
  lapsed = "";
  sessionStorage.setItem(
    TOKENS,
    JSON.stringify({ access_token: data.access_token, id_token: data.id_token || "", expires_at: Date.now() + lifetime * 1000 }),
  );
  return "";
}

// Where the page finds the Classifly API. Empty means the page's own origin
// (`classifly serve`). Deployments replace this file, e.g. Terraform writes
// the API Gateway URL here: { apiBase: "https://abc123.execute-api.eu-west-1.amazonaws.com" },
// and, when the API requires signing in, auth: { authority: the hosted UI's
// base URL, clientId: a public client's id, scope, redirectUri } (auth.js).
window.CLASSIFLY_CONFIG = { apiBase: "" };

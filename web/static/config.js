// Where the page finds the Classifly API. Empty means the page's own origin
// (`classifly serve`). Deployments replace this file, e.g. Terraform writes
// the API Gateway URL here: { apiBase: "https://abc123.execute-api.eu-west-1.amazonaws.com" }.
window.CLASSIFLY_CONFIG = { apiBase: "" };

/**
 * Sent by the web UI with every state-changing request: a header a cross-site page cannot send
 * without a CORS preflight the server never grants (the API's same-origin rule, docs/SECURITY.md).
 */
export const CLIENT_HEADER = 'X-DCS-Client';

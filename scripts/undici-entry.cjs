'use strict';
// What the bundle gets for `require('undici')` (scripts/bundle.mjs). client-node imports only
// fetch, Agent and ProxyAgent; undici's index also loads its mock, cache, cookie, WebSocket and
// EventSource modules and every dispatcher kind (with node:http2, dns, zlib, console, fs/promises).
// The exports here are undici's own objects, set up as its index sets them up.
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const api = require('undici/lib/api');
const fetchImpl = require('undici/lib/web/fetch').fetch;

// undici's index adds request/stream/pipeline/upgrade/connect to every dispatcher (ProxyAgent
// tunnels through connect).
Object.assign(Dispatcher.prototype, api);

module.exports.Agent = require('undici/lib/dispatcher/agent');
module.exports.ProxyAgent = require('undici/lib/dispatcher/proxy-agent');
// undici's exported fetch only extends the stack of a rejection that lacks undici's own file; in
// the bundle undici's file is the bundle, always on the stack, so it is fetchImpl as such.
module.exports.fetch = function fetch(init, options = undefined) {
  return fetchImpl(init, options);
};

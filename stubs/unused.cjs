'use strict';
// The module a stand-in exports for a package dockerode requires when it loads but Carina never uses
// (README.md): reading anything of it fails with the package's name and why it is not there.
module.exports = function unusedModule(name, why) {
  return new Proxy(
    {},
    {
      get(_, key) {
        if (key === '__esModule' || typeof key === 'symbol') return undefined;
        throw new Error(`${name} is not installed with Carina: ${why} (stubs/README.md); asked for ${String(key)}`);
      },
    },
  );
};

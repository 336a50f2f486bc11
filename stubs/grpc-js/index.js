'use strict';
// dockerode requires this module when it loads (lib/session.js) but uses it only for BuildKit
// sessions, which Carina never opens (../README.md).
module.exports = require('../unused.cjs')(require('./package.json').name, "dockerode's BuildKit sessions are not used");

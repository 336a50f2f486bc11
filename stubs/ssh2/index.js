'use strict';
// docker-modem requires this module only for ssh:// Docker hosts, which Carina never uses (../README.md).
function unused() {
  throw new Error('ssh2 is not installed with Carina: Docker hosts are reached over a unix socket or TLS (stubs/README.md)');
}
class Client {
  constructor() {
    unused();
  }
}
module.exports = { Client, unused };

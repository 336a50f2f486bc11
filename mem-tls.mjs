import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
execFileSync('sh', ['-c', 'cd /tmp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -out c.pem -subj /CN=x -days 1 2>/dev/null']);
const key = readFileSync('/tmp/k.pem'), cert = readFileSync('/tmp/c.pem');
const rss = () => (process.memoryUsage().rss / 1048576).toFixed(1);
gc(); console.log('before', rss());
const ctxs = []; for (let i = 0; i < 1000; i++) ctxs.push(tls.createSecureContext({ key, cert, ca: cert }));
gc(); console.log('1000 secure contexts', rss());
const servers = []; for (let i = 0; i < 1000; i++) { const s = tls.createServer({ key, cert, ca: cert, requestCert: true }); await new Promise(r => s.listen(0, '127.0.0.1', r)); servers.push(s); }
gc(); console.log('+1000 tls servers listening', rss());

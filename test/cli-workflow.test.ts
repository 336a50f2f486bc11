import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, disposeServer, rowOf } from './support/cli.js';
import { TestServer } from './support/server.js';

// The seed workflow as a CI job runs it: non-interactive bash, credentials in environment
// variables, the real `carina`, `docker`, `docker-compose` (Debian's) and `docker stack` clients.
const COMPOSE = `version: "3.7"
services:
  web:
    image: carina/busybox
    command: ["sh", "-c", "while true; do printf 'HTTP/1.0 200 OK\\\\r\\\\n\\\\r\\\\nhello from web\\\\n' | nc -l -p 8080; done"]
  client:
    image: carina/busybox
    command: ["sleep", "600"]
`;

// Two services on different nodes (placement), on an attachable overlay network, with dnsrr
// endpoints (this kernel has no IPVS, so VIPs would not carry traffic).
const STACK = `version: "3.7"
services:
  pong:
    image: carina/busybox
    command: ["sh", "-c", "while true; do echo pong | nc -l -p 7000; done"]
    networks: [appnet]
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.role==worker"]
  probe:
    image: carina/busybox
    command: ["sleep", "600"]
    networks: [appnet]
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.role==manager"]
networks:
  appnet:
    driver: overlay
    attachable: true
`;

describe('carina CLI seed workflow (real server, engine, docker, docker-compose, docker stack)', () => {
  const server = new TestServer('cliflow');
  let cli: CliSandbox;
  let username = '';
  const bash = (script: string) => cli.shell('bash', script, {}, 150_000);

  beforeAll(async () => {
    await server.start();
    username = 'ci-bot';
    const key = await server.createAccount(username);
    cli = new CliSandbox('flow', { CARINA_ENDPOINT: server.url, CARINA_USERNAME: username, CARINA_APIKEY: key, CI: 'true' });
    await writeFile(join(cli.dir, 'docker-compose.yml'), COMPOSE);
    await writeFile(join(cli.dir, 'stack.yml'), STACK);
  });
  afterAll(async () => {
    await disposeServer(server);
    await cli?.cleanup();
  });

  it('carina create demo --nodes 2 --wait returns once the cluster is active', async () => {
    const r = await bash('carina create demo --nodes 2 --wait');
    console.log(`create --wait: ${r.ms} ms`);
    expect(r.code, r.stderr).toBe(0);
    expect(rowOf(r.stdout, 'demo')).toBe('demo  container1-4G  2  false  active');
    expect(r.stdout.split('\n')[0]).toMatch(/^ClusterName\s+Flavor\s+Nodes\s+AutoScale\s+Status$/);
    // no TTY: plain progress lines on stderr, ending with the active state
    expect(r.stderr).toMatch(/demo: active, 2\/2 nodes Ready/);
  });

  it('eval "$(carina env demo)" points docker at a swarm of 2 nodes', async () => {
    const r = await bash(`eval "$(carina env demo)"
docker info --format '{{.Swarm.Nodes}} {{.Swarm.ControlAvailable}}'
echo "cert path: $DOCKER_CERT_PATH"`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('2 true');
    expect(r.stdout).toContain(`cert path: ${join(cli.carinaHome, 'clusters', username, 'demo')}`);
  });

  it('docker-compose up -d runs a two-service app whose services talk to each other', async () => {
    const r = await bash(`eval "$(carina env demo)"
docker-compose -p shop up -d
docker-compose -p shop ps --services --filter status=running | sort
for i in $(seq 1 50); do
  if out=$(docker-compose -p shop exec -T client sh -c 'echo | nc -w 2 web 8080' 2>/dev/null) && [[ $out == *hello* ]]; then break; fi
  sleep 0.2
done
echo "reply: $out"
docker-compose -p shop down -t 1`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/client\nweb\n/);
    expect(r.stdout).toContain('reply: HTTP/1.0 200 OK');
    expect(r.stdout).toContain('hello from web');
  });

  it('docker stack deploy: tasks on different nodes reach each other by name over the overlay', async () => {
    const r = await bash(`eval "$(carina env demo)"
docker stack deploy -c stack.yml web
for i in $(seq 1 150); do
  running=$(docker stack ps web --filter desired-state=running --format '{{.Name}} {{.Node}} {{.CurrentState}}' | grep -c Running || true)
  [ "$running" = 2 ] && break
  sleep 0.2
done
docker stack ps web --filter desired-state=running --format 'task {{.Name}} {{.Node}}'
probe=$(docker ps -q --filter name=web_probe)
for i in $(seq 1 50); do
  out=$(docker exec "$probe" sh -c 'echo | nc -w 2 pong 7000' 2>/dev/null || true)
  [ "$out" = pong ] && break
  sleep 0.2
done
echo "reply: $out"
docker exec "$probe" ping -c 1 -W 2 pong
docker stack rm web`);
    expect(r.code, r.stderr).toBe(0);
    const tasks = r.stdout.split('\n').filter((l) => l.startsWith('task '));
    expect(tasks).toHaveLength(2);
    expect(new Set(tasks.map((t) => t.split(' ')[2])).size).toBe(2);
    expect(r.stdout).toContain('reply: pong');
    expect(r.stdout).toMatch(/1 packets received|64 bytes from/);
  });

  it('carina grow demo --by 1 --wait gives 3 Ready nodes', async () => {
    const r = await bash(`carina grow demo --by 1 --wait
eval "$(carina env demo)"
docker node ls --format '{{.Status}}'`);
    expect(r.code, r.stderr).toBe(0);
    expect(rowOf(r.stdout, 'demo')).toBe('demo  container1-4G  3  false  active');
    expect(r.stdout.match(/^Ready$/gm)).toHaveLength(3);
  });

  it('carina rm demo --wait deletes the cluster and its local credentials', async () => {
    const dir = join(cli.carinaHome, 'clusters', username, 'demo');
    expect(existsSync(join(dir, 'ca.pem'))).toBe(true);
    const r = await bash('carina rm demo --wait; carina ls');
    expect(r.code, r.stderr).toBe(0);
    expect(rowOf(r.stdout, 'demo')).toBe('demo  container1-4G  3  false  deleted');
    expect(r.stdout.trim().split('\n').filter((l) => l.startsWith('demo '))).toHaveLength(1);
    expect(existsSync(dir)).toBe(false);
  });
});

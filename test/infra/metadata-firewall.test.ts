// The node's rule for pod traffic to GCE's metadata server (block_pod_metadata_access in
// opentofu/scripts/node-prepare.sh), proven with real packets: network namespaces for a node, a
// pod and the metadata server (169.254.169.254, also the VPC's DNS resolver), the script's own
// function applied inside the node namespace, then real DNS and HTTP clients. Nothing leaves this
// machine. Needs root, ip and iptables.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CONTROL_PLANE_ENV, SCRIPTS_DIR } from '../helpers/infra-bootstrap.js';
import { NetnsLab, netnsAvailable, netnsToolsOrSkip } from '../helpers/infra-netns.js';

const POD_CIDR = CONTROL_PLANE_ENV.POD_CIDR ?? '';
// Sources the real scripts and runs their function, as the node's bootstrap does.
const APPLY_RULES = `set -Eeuo pipefail; . "${join(SCRIPTS_DIR, 'lib.sh')}"; . "${join(SCRIPTS_DIR, 'node-prepare.sh')}"; block_pod_metadata_access`;

describe('pods reach the metadata server for DNS only', { timeout: 120_000 }, () => {
  const lab = new NetnsLab();
  let ready = false;

  before(async () => {
    if (!netnsAvailable()) return;
    await lab.create();
    await lab.startMetadataServer();
    // The node's rules, from the script itself.
    const applied = await lab.exec(lab.node, 'bash', ['-c', APPLY_RULES], { POD_CIDR });
    assert.equal(applied.code, 0, `${applied.stdout}${applied.stderr}`);
    ready = true;
  });
  after(async () => {
    if (netnsAvailable()) await lab.cleanup();
  });

  const needsLab = (t: { skip: (message: string) => void }): boolean => {
    if (!ready) t.skip('network namespaces unavailable');
    return ready;
  };

  test('pod DNS over UDP 53 to 169.254.169.254 is answered', async (t) => {
    if (!netnsToolsOrSkip(t) || !needsLab(t)) return;
    assert.equal(await lab.ask(lab.pod, 'udp', 53), 'dns-udp');
  });

  test('pod DNS over TCP 53 to 169.254.169.254 is answered', async (t) => {
    if (!netnsToolsOrSkip(t) || !needsLab(t)) return;
    assert.equal(await lab.ask(lab.pod, 'tcp', 53), 'dns-tcp');
  });

  test('pod HTTP to the metadata server (port 80) is dropped', async (t) => {
    if (!netnsToolsOrSkip(t) || !needsLab(t)) return;
    assert.equal(await lab.ask(lab.pod, 'http', 80), 'no answer');
  });

  test('the node itself still reaches the metadata server over HTTP', async (t) => {
    if (!netnsToolsOrSkip(t) || !needsLab(t)) return;
    assert.equal(await lab.ask(lab.node, 'http', 80), 'metadata');
  });

  test("a CNI's ACCEPT for the pod network at the top of filter FORWARD does not reopen it", async (t) => {
    if (!netnsToolsOrSkip(t) || !needsLab(t)) return;
    // What Calico's Felix (Canal) keeps at the top of filter FORWARD for allowed pod traffic.
    const accept = await lab.exec(lab.node, 'iptables', [
      '-w',
      '-I',
      'FORWARD',
      '1',
      '-s',
      POD_CIDR,
      '-j',
      'ACCEPT',
    ]);
    assert.equal(accept.code, 0, accept.stderr);
    assert.equal(await lab.ask(lab.pod, 'http', 80), 'no answer');
    assert.equal(await lab.ask(lab.pod, 'udp', 53), 'dns-udp');
  });

  test('applying the rules again on the same boot adds nothing', async (t) => {
    if (!netnsToolsOrSkip(t) || !needsLab(t)) return;
    const rules = async () =>
      (await lab.exec(lab.node, 'iptables', ['-w', '-t', 'mangle', '-S'])).stdout;
    const before = await rules();
    const again = await lab.exec(lab.node, 'bash', ['-c', APPLY_RULES], { POD_CIDR });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '', 'a second run must change nothing and log nothing');
    assert.equal(await rules(), before);
  });
});

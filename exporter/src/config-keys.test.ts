/**
 * parseConfig, key by key: nfs, protocols, peers, request_timeout,
 * duration_buckets, program_stats, drops, datapath (the document as a whole,
 * unknown keys, node, interfaces and reporting: config.test.ts).
 */
import { DEFAULT_DURATION_BUCKETS, NF_TYPES, parseConfig } from './config';
import { expectProblem, minimal, problemsOf } from './test-helpers/config';

describe('parseConfig: nfs', () => {
  const withNfs = (nfs: string): string => `interfaces: [eth0]\nnfs:\n${nfs}`;
  const nf = (fields: string): string => `  - { ${fields} }\n`;

  test('is required', () => {
    expectProblem('interfaces: [eth0]\n', 'nfs', 'is missing (expected a list of NFs)');
  });

  test('must not be empty', () => {
    expectProblem('interfaces: [eth0]\nnfs: []\n', 'nfs', '[] is empty (expected a list of NFs with at least one entry)');
  });

  test('must be a list of mappings', () => {
    expectProblem('interfaces: [eth0]\nnfs: { smf-1: SMF }\n', 'nfs', '{"smf-1":"SMF"} is not a list (expected a list of NFs)');
    expectProblem(withNfs('  - smf-1\n'), 'nfs[0]', '"smf-1" is not a mapping (expected a mapping with the keys name, type, addresses, node)');
  });

  test('name, type and addresses are required', () => {
    expect(problemsOf(withNfs(nf('node: worker-1')))).toEqual([
      { path: 'nfs[0].name', message: 'is missing (expected an NF name)' },
      { path: 'nfs[0].type', message: `is missing (expected an NF type, one of: ${NF_TYPES.join(', ')})` },
      { path: 'nfs[0].addresses', message: 'is missing (expected a list of IP addresses)' },
    ]);
  });

  test.each([['-smf'], ['smf 1'], ['smf/1'], [''], ['a'.repeat(64)]])('name %j is invalid', (name) => {
    const problems = problemsOf(withNfs(nf(`name: ${JSON.stringify(name)}, type: SMF, addresses: ["10.0.0.1"]`)));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('nfs[0].name');
    expect(problems[0].message).toMatch(/ is not a valid NF name \(expected 1 to 63 characters from A-Z, a-z, 0-9, "\.", "_", "-", starting with a letter or digit\)$/);
  });

  test('a name of 63 characters is fine', () => {
    const name = `a${'.-_9'.repeat(15)}xy`;
    expect(parseConfig(withNfs(nf(`name: "${name}", type: SMF, addresses: ["10.0.0.1"]`)), 'c').nfs[0].name).toBe(name);
  });

  test('the name "unknown" is reserved', () => {
    expectProblem(withNfs(nf('name: unknown, type: SMF, addresses: ["10.0.0.1"]')), 'nfs[0].name', '"unknown" is reserved for addresses that belong to no configured NF');
  });

  test('the name must be a string', () => {
    expectProblem(withNfs(nf('name: 42, type: SMF, addresses: ["10.0.0.1"]')), 'nfs[0].name', '42 is not a string (expected an NF name)');
  });

  test('duplicate names are reported on the second NF, naming the first', () => {
    expectProblem(
      withNfs(nf('name: smf-1, type: SMF, addresses: ["10.0.0.1"]') + nf('name: upf-1, type: UPF, addresses: ["10.0.0.2"]') + nf('name: smf-1, type: SMF, addresses: ["10.0.0.3"]')),
      'nfs[2].name',
      '"smf-1" is already the name of nfs[0] (NF names must be unique)',
    );
  });

  test('an unknown type with a case-insensitive match suggests the right spelling', () => {
    expectProblem(withNfs(nf('name: gnb-1, type: gnb, addresses: ["10.0.0.1"]')), 'nfs[0].type', '"gnb" is not a known NF type; did you mean "gNB"?');
    expect(problemsOf(withNfs(nf('name: a, type: Smf, addresses: ["10.0.0.1"]')))[0].message).toBe('"Smf" is not a known NF type; did you mean "SMF"?');
  });

  test('an unknown type lists the known ones', () => {
    expectProblem(withNfs(nf('name: mme-1, type: MME, addresses: ["10.0.0.1"]')), 'nfs[0].type', `"MME" is not a known NF type (expected one of: ${NF_TYPES.join(', ')})`);
  });

  test('the NF node is validated like the top-level node', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: ["10.0.0.1"], node: "worker 2"')),
      'nfs[0].node',
      '"worker 2" is not a valid node name (expected 1 to 253 characters from A-Z, a-z, 0-9, ".", "_", "-")',
    );
  });

  test('addresses must be a non-empty list', () => {
    expectProblem(withNfs(nf('name: a, type: SMF, addresses: 10.0.0.1')), 'nfs[0].addresses', '"10.0.0.1" is not a list (expected a list of IP addresses)');
    expectProblem(withNfs(nf('name: a, type: SMF, addresses: []')), 'nfs[0].addresses', '[] is empty (expected a list of IP addresses with at least one entry)');
  });

  test.each([['198.18.0.300'], ['198.18.0'], ['198.018.0.1'], ['smf-1.example'], ['2001:db8::g'], ['2001:db8::1::2'], ['fe80::1%eth0'], ['[2001:db8::1]'], ['198.18.0.1:8805']])(
    '%j is not an address',
    (address) => {
      expectProblem(
        withNfs('  - name: smf-1\n    type: SMF\n' + `    addresses: ["198.18.0.10", ${JSON.stringify(address)}]\n`),
        'nfs[0].addresses[1]',
        `${JSON.stringify(address)} is not an IPv4 or IPv6 address`,
      );
    },
  );

  test('a CIDR prefix is not an address, with a hint', () => {
    expectProblem(withNfs(nf('name: a, type: SMF, addresses: ["198.18.0.0/24"]')), 'nfs[0].addresses[0]', '"198.18.0.0/24" is not an IPv4 or IPv6 address (list single addresses, not prefixes)');
  });

  test('an address must be a string', () => {
    expectProblem(withNfs(nf('name: a, type: SMF, addresses: [3232235521]')), 'nfs[0].addresses[0]', '3232235521 is not a string (expected an IP address)');
  });

  test('the same address twice in one NF, however written', () => {
    expectProblem(
      withNfs(nf('name: a, type: SMF, addresses: ["2001:db8::10", "10.0.0.1", "2001:DB8:0:0::10"]')),
      'nfs[0].addresses[2]',
      '"2001:DB8:0:0::10" (2001:db8::10) is listed twice (also at nfs[0].addresses[0])',
    );
  });

  test('an address claimed by two NFs names both', () => {
    expectProblem(
      withNfs(nf('name: smf-1, type: SMF, addresses: ["198.18.0.10", "2001:db8::10"]') + nf('name: upf-1, type: UPF, addresses: ["2001:DB8:0:0::10"]')),
      'nfs[1].addresses[0]',
      '"2001:DB8:0:0::10" (2001:db8::10) of "upf-1" is already an address of "smf-1" (nfs[0].addresses[1]);' + ' an address can belong to only one NF',
    );
  });

  test('an IPv4-mapped IPv6 address is the same as its IPv4 form', () => {
    expectProblem(
      withNfs(nf('name: smf-1, type: SMF, addresses: ["198.18.0.10"]') + nf('name: upf-1, type: UPF, addresses: ["::ffff:198.18.0.10"]')),
      'nfs[1].addresses[0]',
      /^"::ffff:198\.18\.0\.10" \(198\.18\.0\.10\) of "upf-1" is already an address of "smf-1" \(nfs\[0\]\.addresses\[0\]\)/,
    );
  });

  test('an NF with an invalid name is referred to by its index', () => {
    const problems = problemsOf(withNfs(nf('name: "bad name", type: SMF, addresses: ["10.0.0.1"]') + nf('name: b, type: UPF, addresses: ["10.0.0.1"]')));
    expect(problems[1]).toEqual({
      path: 'nfs[1].addresses[0]',
      message: '"10.0.0.1" of "b" is already an address of nfs[0] (nfs[0].addresses[0]); an address can belong to only one NF',
    });
  });
});

describe('parseConfig: protocols', () => {
  test('must be a mapping', () => {
    expectProblem(minimal('protocols: [pfcp]\n'), 'protocols', '["pfcp"] is not a mapping (expected a mapping with the keys pfcp, gtpu, sbi, ngap)');
  });

  test('each protocol must be a mapping with ports', () => {
    expectProblem(minimal('protocols:\n  sbi: [80]\n'), 'protocols.sbi', '[80] is not a mapping (expected a mapping like { ports: [...] })');
    expectProblem(minimal('protocols:\n  sbi: {}\n'), 'protocols.sbi.ports', 'is missing (expected a list of port numbers)');
  });

  test('ports must be a non-empty list', () => {
    expectProblem(minimal('protocols:\n  ngap: { ports: 38412 }\n'), 'protocols.ngap.ports', '38412 is not a list (expected a list of port numbers)');
    expectProblem(minimal('protocols:\n  ngap: { ports: [] }\n'), 'protocols.ngap.ports', '[] is empty (expected a list of port numbers with at least one entry)');
  });

  test('ports are integers from 1 to 65535', () => {
    expect(problemsOf(minimal('protocols:\n  sbi: { ports: [80, 0, 65536, 80.5, "8080", -1, 65535, 1] }\n'))).toEqual([
      { path: 'protocols.sbi.ports[1]', message: '0 is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[2]', message: '65536 is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[3]', message: '80.5 is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[4]', message: '"8080" is not a port number (expected an integer from 1 to 65535)' },
      { path: 'protocols.sbi.ports[5]', message: '-1 is not a port number (expected an integer from 1 to 65535)' },
    ]);
  });

  test('no duplicate ports within a protocol', () => {
    expectProblem(minimal('protocols:\n  sbi: { ports: [7777, 8080, 7777] }\n'), 'protocols.sbi.ports[2]', '7777 is listed twice (also at protocols.sbi.ports[0])');
  });

  test('pfcp and gtpu share UDP: a port in both is an error', () => {
    expectProblem(
      minimal('protocols:\n  pfcp: { ports: [8805, 2153] }\n  gtpu: { ports: [2152, 2153] }\n'),
      'protocols.gtpu.ports[1]',
      '2153 is also a pfcp port; gtpu and pfcp both run over UDP, so a port can belong to only one of them',
    );
  });

  test("a clash with the other protocol's default is reported where the port is configured", () => {
    expectProblem(
      minimal('protocols:\n  gtpu: { ports: [8805] }\n'),
      'protocols.gtpu.ports[0]',
      '8805 is also the default pfcp port; gtpu and pfcp both run over UDP, so a port can belong to only one of them',
    );
    expectProblem(
      minimal('protocols:\n  pfcp: { ports: [8805, 2152] }\n'),
      'protocols.pfcp.ports[1]',
      '2152 is also the default gtpu port; pfcp and gtpu both run over UDP, so a port can belong to only one of them',
    );
  });
});

describe('parseConfig: peers', () => {
  test('must be a list', () => {
    expectProblem(minimal('peers: worker-2:9400\n'), 'peers', '"worker-2:9400" is not a list (expected a list of peer exporters)');
  });

  test.each([
    ['worker-2'],
    ['worker-2:'],
    ['worker-2:0'],
    ['worker-2:65536'],
    ['worker_2:9400'],
    ['198.18.0.300:9400'],
    ['2001:db8::2:9400'],
    ['[2001:db8::g]:9400'],
    ['ftp://worker-2:9400'],
    ['http://'],
    ['http://user:pw@worker-2:9400'],
    ['worker-2:9400/path'],
  ])('%j is not a peer address', (peer) => {
    expectProblem(
      minimal(`peers: [${JSON.stringify(peer)}]\n`),
      'peers[0]',
      `${JSON.stringify(peer)} is not a peer address (expected host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT)`,
    );
  });

  test('a peer must be a string', () => {
    expectProblem(minimal('peers: [9400]\n'), 'peers[0]', '9400 is not a string (expected host:port, [IPv6]:port, an http:// or https:// URL, or dns+http://NAME:PORT)');
  });

  test('the same peer twice (after normalization) is an error', () => {
    expectProblem(minimal('peers: ["worker-2:9400", "http://worker-2:9400/"]\n'), 'peers[1]', '"http://worker-2:9400/" is listed twice (also at peers[0])');
  });
});

describe('parseConfig: request_timeout', () => {
  test.each([['"5"'], ['5 s'], ['5h'], ['s'], ['-5s'], ['true'], ['[5]'], ['.nan']])('%s is not a duration', (value) => {
    const problems = problemsOf(minimal(`request_timeout: ${value}\n`));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('request_timeout');
    expect(problems[0].message).toMatch(/ is not a duration \(expected a number of seconds or a string like "500ms", "5s", "2m"\)$/);
  });

  test('the message names the value', () => {
    expectProblem(minimal('request_timeout: "5"\n'), 'request_timeout', '"5" is not a duration (expected a number of seconds or a string like "500ms", "5s", "2m")');
  });

  test.each([['0'], ['0s'], ['-1'], ['601'], ['11m'], ['600001ms'], ['.inf']])('%s is out of range', (value) => {
    const problems = problemsOf(minimal(`request_timeout: ${value}\n`));
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('request_timeout');
    expect(problems[0].message).toMatch(/ is out of range \(expected more than 0 and at most 600 seconds\)$/);
  });

  test('out-of-range message', () => {
    expectProblem(minimal('request_timeout: 11m\n'), 'request_timeout', '"11m" is out of range (expected more than 0 and at most 600 seconds)');
    expectProblem(minimal('request_timeout: .inf\n'), 'request_timeout', 'Infinity is out of range (expected more than 0 and at most 600 seconds)');
  });
});

describe('duration_buckets', () => {
  const base = 'interfaces: ["eth0"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n';
  test('defaults to 100 µs .. 60 s and accepts an increasing list', () => {
    expect(parseConfig(base, 'c.yaml').durationBuckets).toEqual(DEFAULT_DURATION_BUCKETS);
    expect(parseConfig(`${base}duration_buckets: [0.001, 0.01, 0.1]\n`, 'c.yaml').durationBuckets).toEqual([0.001, 0.01, 0.1]);
  });
  test('bounds that do not increase, or are out of range, are errors naming the index', () => {
    expect(() => parseConfig(`${base}duration_buckets: [0.01, 0.01]\n`, 'c.yaml')).toThrow('c.yaml: duration_buckets[1]: 0.01 does not increase');
    expect(() => parseConfig(`${base}duration_buckets: [0.5, 500]\n`, 'c.yaml')).toThrow('c.yaml: duration_buckets[1]: 500 is not a bound in seconds');
    expect(() => parseConfig(`${base}duration_buckets: []\n`, 'c.yaml')).toThrow('duration_buckets');
  });
});

describe('program_stats', () => {
  const base = 'interfaces: ["eth0"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n';
  test('off unless asked for', () => {
    expect(parseConfig(base, 'c.yaml').programStats).toBe(false);
    expect(parseConfig(`${base}program_stats: true\n`, 'c.yaml').programStats).toBe(true);
  });
  test('anything but a boolean is an error', () => {
    expect(() => parseConfig(`${base}program_stats: "yes please"\n`, 'c.yaml')).toThrow('c.yaml: program_stats: "yes please" is not true or false');
  });
});

describe('drops', () => {
  const base = 'interfaces: ["eth0"]\nnfs:\n  - { name: upf-1, type: UPF, addresses: ["198.18.0.2"] }\n';
  test('no overrides unless given; both lists, with functions of unspecified drops', () => {
    expect(parseConfig(base, 'c.yaml').drops).toEqual({ benignReasons: [], lossReasons: [] });
    const c = parseConfig(`${base}drops:\n  benign_reasons: [NOT_SPECIFIED@udp_destruct_common, IPV6DISABLED]\n  loss_reasons: [QUEUE_PURGE]\n`, 'c.yaml');
    expect(c.drops).toEqual({ benignReasons: ['NOT_SPECIFIED@udp_destruct_common', 'IPV6DISABLED'], lossReasons: ['QUEUE_PURGE'] });
  });
  test.each([
    ['drops: [OTHERHOST]\n', 'c.yaml: drops: ["OTHERHOST"] is not a mapping (expected a mapping with the keys benign_reasons, loss_reasons)'],
    ['drops:\n  benign: [OTHERHOST]\n', 'c.yaml: drops.benign: unknown key "benign" (expected one of: benign_reasons, loss_reasons)'],
    ['drops:\n  benign_reasons: OTHERHOST\n', 'c.yaml: drops.benign_reasons: "OTHERHOST" is not a list'],
    ['drops:\n  benign_reasons: [otherhost]\n', 'c.yaml: drops.benign_reasons[0]: "otherhost" is not a drop reason (expected an upper-case kernel name'],
    ['drops:\n  loss_reasons: [1]\n', 'c.yaml: drops.loss_reasons[0]: 1 is not a string'],
    ['drops:\n  benign_reasons: [SKB_DROP_REASON_OTHERHOST]\n', 'c.yaml: drops.benign_reasons[0]: "SKB_DROP_REASON_OTHERHOST": write the reason without the SKB_DROP_REASON_ prefix ("OTHERHOST")'],
    ['drops:\n  benign_reasons: [NO_SOCKET]\n  loss_reasons: [NO_SOCKET]\n', 'c.yaml: drops.loss_reasons[0]: "NO_SOCKET" is already listed at drops.benign_reasons[0]'],
  ])('%j is an error naming where', (extra, message) => {
    expect(() => parseConfig(`${base}${extra}`, 'c.yaml')).toThrow(message);
  });
});

describe('parseConfig: datapath', () => {
  const base = minimal('');
  test('pin_dir and on_exit, normalised', () => {
    expect(parseConfig(`${base}datapath: { pin_dir: /sys/fs/bpf/nfscope-a/, on_exit: detach }\n`, 'c.yaml').datapath).toEqual({ pinDir: '/sys/fs/bpf/nfscope-a', onExit: 'detach' });
  });
  test.each([
    ['datapath: { pin_dir: relative/dir }', 'c.yaml: datapath.pin_dir: "relative/dir" is not an absolute path without ".." (example: /sys/fs/bpf/nfscope)'],
    ['datapath: { pin_dir: /sys/fs/bpf/../etc }', 'c.yaml: datapath.pin_dir: "/sys/fs/bpf/../etc" is not an absolute path without ".."'],
    ['datapath: { on_exit: stay }', 'c.yaml: datapath.on_exit: "stay" is neither "keep" nor "detach"'],
    ['datapath: { pin: /x }', 'c.yaml: datapath.pin: unknown key "pin" (expected one of: pin_dir, on_exit)'],
    ['datapath: /sys/fs/bpf', 'c.yaml: datapath: "/sys/fs/bpf" is not a mapping'],
  ])('%s is an error naming it', (yaml, message) => {
    expect(() => parseConfig(`${base}${yaml}\n`, 'c.yaml')).toThrow(message);
  });
});

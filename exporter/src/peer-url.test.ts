import { normalizePeer } from './peer-url';

describe('normalizePeer', () => {
  test.each([
    ['worker-2:9400', 'http://worker-2:9400'],
    ['10.0.0.2:9400', 'http://10.0.0.2:9400'],
    ['[2001:DB8::2]:9400', 'http://[2001:db8::2]:9400'],
    ['[::ffff:198.18.0.1]:80', 'http://[::ffff:c612:1]'],
    ['http://Worker-3.example:9400/', 'http://worker-3.example:9400'],
    ['https://worker-4/nfscope/', 'https://worker-4/nfscope'],
    ['HTTPS://worker-4:443/', 'https://worker-4'],
    ['dns+http://nfscope.monitoring.svc:9810', 'dns+http://nfscope.monitoring.svc:9810'],
    ['DNS+HTTPS://NFSCOPE.svc:9810/', 'dns+https://nfscope.svc:9810'],
  ])('%j is %j', (peer, url) => {
    expect(normalizePeer(peer)).toBe(url);
  });

  test.each([
    ['worker-2'],
    ['worker-2:0'],
    ['worker-2:65536'],
    ['worker_2:9400'],
    ['198.18.0.300:9400'],
    ['2001:db8::2:9400'],
    ['[2001:db8::g]:9400'],
    ['[fe80::1%eth0]:9400'],
    ['ftp://worker-2:9400'],
    ['http://'],
    ['http://user:pw@worker-2:9400'],
    ['worker-2:9400/path'],
    ['dns+http://bad_name:9810'],
    ['dns+http://name'],
    ['dns+http://name:70000'],
  ])('%j is not a peer', (peer) => {
    expect(normalizePeer(peer)).toBeUndefined();
  });

  test('every result is a URL that normalises to itself', () => {
    for (const peer of ['worker-2:9400', '[2001:DB8::2]:9400', 'https://worker-4/nfscope/', 'http://a.b:80/x/']) {
      const url = normalizePeer(peer)!;
      expect(URL.canParse(url)).toBe(true);
      expect(normalizePeer(url)).toBe(url);
    }
  });
});

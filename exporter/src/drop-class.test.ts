import * as fs from 'fs';
import * as path from 'path';
import { DropClassifier, dropTableMarkdown, unclassifiedReasons } from './drop-class';
import { DROP_REASONS } from './drop-reasons';

describe('the default table', () => {
  test('one entry per reason, each with what the kernel documents; every benign one says why', () => {
    const names = DROP_REASONS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    for (const r of DROP_REASONS) {
      expect(r.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(r.meaning.length).toBeGreaterThan(5);
      if (r.class === 'benign') expect(r.why?.length).toBeGreaterThan(5);
      else expect(r.why).toBeUndefined();
    }
  });

  test('the drops of a promiscuous capture and of closing connections are benign; real loss is not', () => {
    const c = new DropClassifier();
    for (const r of ['OTHERHOST', 'QUEUE_PURGE', 'TCP_OLD_DATA', 'SOCKET_CLOSE', 'TCP_CLOSE', 'PACKET_SOCK_ERROR']) expect([r, c.classOf(r)]).toEqual([r, 'benign']);
    for (const r of ['NO_SOCKET', 'UDP_CSUM', 'SOCKET_RCVBUFF', 'NETFILTER_DROP', 'QDISC_DROP', 'NOT_SPECIFIED', 'TCP_ABORT_ON_DATA']) expect([r, c.classOf(r)]).toEqual([r, 'loss']);
  });

  test('docs/drops.md carries the table as generated from it (scripts/gen-drop-table.js)', () => {
    const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/drops.md'), 'utf8');
    expect(doc).toContain(`<!-- BEGIN drop-reasons (scripts/gen-drop-table.js) -->\n${dropTableMarkdown()}<!-- END drop-reasons -->`);
  });
});

describe('DropClassifier', () => {
  test('reasons nfscope does not know, and reason numbers without a name, are loss', () => {
    const c = new DropClassifier();
    expect(c.classOf('SOME_FUTURE_REASON')).toBe('loss');
    expect(c.classOf('reason_77')).toBe('loss');
  });

  test('a function of an unspecified drop has the class of NOT_SPECIFIED unless the config names it', () => {
    const none = new DropClassifier();
    expect(none.classOf('NOT_SPECIFIED@ip6_mc_input')).toBe('loss');
    const c = new DropClassifier({ benignReasons: ['NOT_SPECIFIED@ip6_mc_input'], lossReasons: [] });
    expect(c.classOf('NOT_SPECIFIED@ip6_mc_input')).toBe('benign');
    expect(c.classOf('NOT_SPECIFIED@udp_destruct_common')).toBe('loss');
    expect(c.classOf('NOT_SPECIFIED')).toBe('loss');
    const all = new DropClassifier({ benignReasons: ['NOT_SPECIFIED'], lossReasons: ['NOT_SPECIFIED@tcp_v4_rcv'] });
    expect(all.classOf('NOT_SPECIFIED@ip6_mc_input')).toBe('benign');
    expect(all.classOf('NOT_SPECIFIED@tcp_v4_rcv')).toBe('loss');
  });

  test('the config overrides the table both ways', () => {
    const c = new DropClassifier({ benignReasons: ['IPV6DISABLED'], lossReasons: ['QUEUE_PURGE'] });
    expect(c.classOf('IPV6DISABLED')).toBe('benign');
    expect(c.classOf('QUEUE_PURGE')).toBe('loss');
    expect(c.classOf('OTHERHOST')).toBe('benign');
  });

  test('overrides that name no reason of the running kernel are reported', () => {
    const c = new DropClassifier({ benignReasons: ['NOT_SPECIFIED@ip6_mc_input', 'OTHRHOST'], lossReasons: [] });
    expect(c.unknownOverrides(['NOT_SPECIFIED', 'OTHERHOST'])).toEqual(['OTHRHOST']);
  });
});

describe('unclassifiedReasons', () => {
  test('names of the kernel enum missing from the table, without the prefix; the non-reasons are left out', () => {
    expect(unclassifiedReasons(['SKB_NOT_DROPPED_YET', 'SKB_CONSUMED', 'SKB_DROP_REASON_NO_SOCKET', 'SKB_DROP_REASON_BRAND_NEW', 'SKB_DROP_REASON_MAX', 'SKB_DROP_REASON_SUBSYS_MASK'])).toEqual([
      'BRAND_NEW',
    ]);
  });
});

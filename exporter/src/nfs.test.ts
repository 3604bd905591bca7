import type { NfConfig } from './config';
import { NfProto } from './kernel/layout';
import { NfTable, portEntries, portTable, UNKNOWN } from './nfs';

const NFS: NfConfig[] = [
  { name: 'smf-1', type: 'SMF', addresses: ['198.18.0.10', '2001:db8::10'] },
  { name: 'upf-1', type: 'UPF', addresses: ['198.18.0.20', '198.18.1.20'], node: 'worker-2' },
  { name: 'upf-2', type: 'UPF', addresses: ['198.18.0.21'] },
  { name: 'gnb-1', type: 'gNB', addresses: ['198.18.0.30'] },
  { name: 'amf-1', type: 'AMF', addresses: ['198.18.0.40'] },
];
// ids: smf-1 1, upf-1 2, upf-2 3, gnb-1 4, amf-1 5
const [SMF, UPF1, UPF2, GNB, AMF] = [1, 2, 3, 4, 5];
const table = new NfTable(NFS);
const unknown = { name: UNKNOWN, type: UNKNOWN };

describe('NfTable', () => {
  test('ids are 1-based in config order; 0 is unknown', () => {
    expect(table.identity(SMF)).toEqual({ name: 'smf-1', type: 'SMF' });
    expect(table.identity(UPF1)).toEqual({ name: 'upf-1', type: 'UPF' });
    expect(table.identity(AMF)).toEqual({ name: 'amf-1', type: 'AMF' });
    expect(table.identity(0)).toEqual({ name: 'unknown', type: 'unknown' });
  });

  test('an id the table does not have is named after it', () => {
    expect(table.identity(6)).toEqual({ name: 'unknown-id-6', type: 'unknown' });
  });

  test('addressEntries: every address with its NF id', () => {
    expect(table.addressEntries()).toEqual([
      ['198.18.0.10', 1],
      ['2001:db8::10', 1],
      ['198.18.0.20', 2],
      ['198.18.1.20', 2],
      ['198.18.0.21', 3],
      ['198.18.0.30', 4],
      ['198.18.0.40', 5],
    ]);
    expect(new NfTable([]).addressEntries()).toEqual([]);
  });

  describe('interfaceOf', () => {
    test.each([
      ['PFCP', NfProto.Pfcp, SMF, UPF1, 'N4'],
      ['PFCP, unknown ends', NfProto.Pfcp, 0, 0, 'N4'],
      ['GTP-U UPF–UPF', NfProto.Gtpu, UPF1, UPF2, 'N9'],
      ['GTP-U UPF–UPF, other direction', NfProto.Gtpu, UPF2, UPF1, 'N9'],
      ['GTP-U gNB–UPF', NfProto.Gtpu, GNB, UPF1, 'N3'],
      ['GTP-U UPF–gNB', NfProto.Gtpu, UPF1, GNB, 'N3'],
      ['GTP-U unknown–UPF', NfProto.Gtpu, 0, UPF1, 'N3'],
      ['GTP-U UPF–unknown', NfProto.Gtpu, UPF2, 0, 'N3'],
      ['SBI', NfProto.Sbi, AMF, SMF, 'SBI'],
      ['NGAP', NfProto.Ngap, GNB, AMF, 'N2'],
      ['other', NfProto.Other, SMF, UPF1, 'other'],
      ['a protocol number nfscope does not know', 9 as NfProto, SMF, UPF1, 'other'],
    ])('%s', (_name, proto, a, b, expected) => {
      expect(table.interfaceOf(proto, a, b)).toBe(expected);
    });
  });

  describe('dropOwner', () => {
    test('a known destination owns the drop, the source is the peer', () => {
      expect(table.dropOwner(GNB, UPF1)).toEqual({ nf: { name: 'upf-1', type: 'UPF' }, peer: { name: 'gnb-1', type: 'gNB' } });
      expect(table.dropOwner(0, SMF)).toEqual({ nf: { name: 'smf-1', type: 'SMF' }, peer: unknown });
    });

    test('an unknown destination: the source owns it', () => {
      expect(table.dropOwner(UPF2, 0)).toEqual({ nf: { name: 'upf-2', type: 'UPF' }, peer: unknown });
    });

    test('both unknown', () => {
      expect(table.dropOwner(0, 0)).toEqual({ nf: unknown, peer: unknown });
    });
  });
});

describe('portEntries', () => {
  test('each port with its transport protocol number and 5G protocol', () => {
    expect(portEntries({ pfcp: [8805], gtpu: [2152], sbi: [7777, 80], ngap: [38412] })).toEqual([
      { l4proto: 17, port: 8805, proto: NfProto.Pfcp },
      { l4proto: 17, port: 2152, proto: NfProto.Gtpu },
      { l4proto: 6, port: 7777, proto: NfProto.Sbi },
      { l4proto: 6, port: 80, proto: NfProto.Sbi },
      { l4proto: 132, port: 38412, proto: NfProto.Ngap },
    ]);
  });

  test('no ports, no entries', () => {
    expect(portEntries({ pfcp: [], gtpu: [], sbi: [], ngap: [] })).toEqual([]);
  });
});

describe('portTable', () => {
  test('one byte per transport and port, UDP then TCP then SCTP', () => {
    const t = portTable({ pfcp: [8805], gtpu: [2152], sbi: [7777], ngap: [38412] });
    expect(t.length).toBe(3 * 65536);
    expect(t[8805]).toBe(NfProto.Pfcp);
    expect(t[2152]).toBe(NfProto.Gtpu);
    expect(t[65536 + 7777]).toBe(NfProto.Sbi);
    expect(t[2 * 65536 + 38412]).toBe(NfProto.Ngap);
    expect(t[7777]).toBe(0); // SBI is TCP only
    expect([...t].filter((b) => b !== 0)).toHaveLength(4);
  });
});

import { NfProto, SbiMethod } from './kernel/layout';
import { codeLabel, procedureName } from './procedures';

describe('SBI labels', () => {
  test('the procedure is the HTTP method; a method the datapath could not read is "other"', () => {
    expect([SbiMethod.Get, SbiMethod.Post, SbiMethod.Put, SbiMethod.Patch, SbiMethod.Delete, SbiMethod.Other].map((m) => procedureName(NfProto.Sbi, m))).toEqual([
      'GET',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'other',
    ]);
    expect(procedureName(NfProto.Sbi, 77)).toBe('other');
  });

  test('the code is the :status, "other" when unknown; PFCP causes stay numbers, 0 included', () => {
    expect(codeLabel(NfProto.Sbi, 404)).toBe('404');
    expect(codeLabel(NfProto.Sbi, 0)).toBe('other');
    expect(codeLabel(NfProto.Pfcp, 0)).toBe('0');
    expect(codeLabel(NfProto.Pfcp, 73)).toBe('73');
  });
});

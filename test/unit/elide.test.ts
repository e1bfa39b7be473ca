import { describe, expect, it } from 'vitest';
import { elideMiddle, elideToWidth, splitForElision } from '../../src/ui/lib/elide';

describe('names lose their middle, never what tells them apart', () => {
  it('keeps the last segment of aliases, atoms and paths', () => {
    expect(splitForElision('OtpscopeDemo.WorkerB')).toEqual({ head: 'OtpscopeDemo.', tail: 'WorkerB' });
    expect(splitForElision(':erts_literal_area_collector')).toEqual({ head: ':erts_literal_area_', tail: 'collector' });
    expect(splitForElision('lib/bank/ledger.ex')).toEqual({ head: 'lib/bank/', tail: 'ledger.ex' });
  });
  it('keeps a third (3 to 12 characters) of a name without a usable segment', () => {
    expect(splitForElision('<0.155.0>')).toEqual({ head: '<0.', tail: '155.0>' });
    expect(splitForElision('averyveryverylongatomwithoutseparators')).toEqual({ head: 'averyveryverylongatomwitho', tail: 'utseparators' });
    expect(splitForElision('short')).toEqual({ head: '', tail: 'short' });
  });
  it('elides SVG text to a character budget, the middle replaced', () => {
    expect(elideMiddle('OtpscopeDemo.WorkerB', 40)).toBe('OtpscopeDemo.WorkerB');
    expect(elideMiddle('OtpscopeDemo.Supervisor.Child.WorkerB', 16)).toBe('Otpscope…WorkerB');
    const e = elideMiddle('{:transfer, :account_1234567890, :account_0987654321, 100}', 22);
    expect(e).toHaveLength(22);
    expect(e).toBe('{:transfer…54321, 100}');
    expect(elideMiddle('abc', 1)).toBe('…');
  });
});

describe('canvas text (the Timeline lane names) loses its middle to fit a width', () => {
  const w = (s: string) => s.length * 7; // a fixed-width font, 7 px a character
  it('fits as is, or keeps the part that tells names apart', () => {
    expect(elideToWidth('<0.152.0>', 200, w)).toBe('<0.152.0>');
    const via = '{:via, Registry, {Scn.NameReg, {:conn, 2}}}';
    const cut = elideToWidth(via, 25 * 7, w);
    expect(cut).toHaveLength(25);
    expect(cut).toMatch(/^\{:via, Regis.*….*\{:conn, 2\}\}\}$/);
    expect(elideToWidth('OtpscopeDemo.Supervisor.Child.WorkerB', 16 * 7, w)).toBe('Otpscope…WorkerB');
  });
  it('keeps what of the tail fits when not all of it does, and nothing when not even one character does', () => {
    expect(elideToWidth('OtpscopeDemo.WorkerB', 5 * 7, w)).toBe('…kerB');
    expect(elideToWidth('OtpscopeDemo.WorkerB', 3, w)).toBe('');
  });
});

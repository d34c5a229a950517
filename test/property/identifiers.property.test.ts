/**
 * Properties of the identifier cleaners: a valid number built by the generator is read back from
 * every accepted written form, any single-character change is rejected, and the derived birth
 * date and gender are those the number was built from.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CREDIT_CODE_CHARACTERS, cleanCreditCode, creditCodeCheckCharacter, organizationCheckCharacter } from '../../src/cleaning/credit-code.js';
import { cleanEmail, emailDomainMemo } from '../../src/cleaning/email.js';
import { cleanIdCard, idCardCheckCharacter } from '../../src/cleaning/id-card.js';

const RUNS = { numRuns: 200 };
const PROVINCE_CODES = [
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
  '83',
];
const pad = (n: number, width: number) => String(n).padStart(width, '0');

const fullWidth = (text: string) => text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

interface GeneratedId {
  number: string;
  birthDate: string;
  gender: '男' | '女';
}

const today = new Date();
const idCard = fc
  .record({
    province: fc.constantFrom(...PROVINCE_CODES),
    rest: fc.integer({ min: 0, max: 9999 }),
    birth: fc.date({
      min: new Date(Date.UTC(1900, 0, 1)),
      max: new Date(Date.UTC(today.getFullYear(), today.getMonth(), today.getDate() - 1)),
      noInvalidDate: true,
    }),
    sequence: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ province, rest, birth, sequence }): GeneratedId => {
    const stamp = `${birth.getUTCFullYear()}${pad(birth.getUTCMonth() + 1, 2)}${pad(birth.getUTCDate(), 2)}`;
    const first17 = `${province}${pad(rest, 4)}${stamp}${pad(sequence, 3)}`;
    return {
      number: first17 + idCardCheckCharacter(first17),
      birthDate: `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6)}`,
      gender: sequence % 2 === 1 ? '男' : '女',
    };
  });

/** Every written form the id_card cleaner accepts for one number. */
function idCardForms(id: string): string[] {
  const forms = [
    id,
    id.toLowerCase(),
    ` ${id}\u3000`,
    `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`,
    `${id.slice(0, 6)}-${id.slice(6, 14)}-${id.slice(14)}`,
    fullWidth(id),
    fullWidth(id.toLowerCase()),
  ];
  // A first-generation number exists for births in the 1900s (its check digit is computed).
  if (id.slice(6, 8) === '19') forms.push(id.slice(0, 6) + id.slice(8, 17));
  return forms;
}

describe('id_card', () => {
  it('every accepted written form of a valid number cleans to it, with the generated birth date and gender', () => {
    fc.assert(
      fc.property(idCard, (generated) => {
        for (const form of idCardForms(generated.number)) {
          expect(cleanIdCard(form), form).toEqual({ ok: true, value: generated });
        }
      }),
      RUNS,
    );
  });

  it('any single-character change of a valid number is rejected', () => {
    fc.assert(
      fc.property(idCard, fc.nat(17), fc.constantFrom(...'0123456789X'), (generated, position, replacement) => {
        fc.pre(generated.number[position] !== replacement);
        const changed = generated.number.slice(0, position) + replacement + generated.number.slice(position + 1);
        const result = cleanIdCard(changed);
        expect(result.ok, changed).toBe(false);
        if (!result.ok) expect(result.errorType).toBe('INVALID_ID_CARD');
      }),
      RUNS,
    );
  });
});

const creditCodeCharacter = fc.constantFrom(...CREDIT_CODE_CHARACTERS);
const creditCode = fc
  .tuple(fc.array(creditCodeCharacter, { minLength: 8, maxLength: 8 }), fc.array(creditCodeCharacter, { minLength: 8, maxLength: 8 }))
  .map(([head, organizationBody]) => {
    const body = organizationBody.join('');
    const first17 = head.join('') + body + organizationCheckCharacter(body);
    return first17 + creditCodeCheckCharacter(first17);
  });

describe('credit_code', () => {
  it('every accepted written form of a valid code cleans to it', () => {
    fc.assert(
      fc.property(creditCode, (code) => {
        const forms = [
          code,
          code.toLowerCase(),
          ` ${code} `,
          `${code.slice(0, 8)} ${code.slice(8, 17)} ${code.slice(17)}`,
          `${code.slice(0, 8)}-${code.slice(8)}`,
          fullWidth(code),
        ];
        for (const form of forms) expect(cleanCreditCode(form), form).toEqual({ ok: true, value: code });
      }),
      RUNS,
    );
  });

  it('any single-character change of a valid code is rejected', () => {
    fc.assert(
      fc.property(creditCode, fc.nat(17), fc.constantFrom(...CREDIT_CODE_CHARACTERS, 'I', 'O', 'S', 'V', 'Z'), (code, position, replacement) => {
        fc.pre(code[position] !== replacement);
        const changed = code.slice(0, position) + replacement + code.slice(position + 1);
        expect(cleanCreditCode(changed).ok, changed).toBe(false);
      }),
      RUNS,
    );
  });
});

const atom = fc.stringMatching(/^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}$/);
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const email = fc
  .record({
    local: fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join('.')),
    labels: fc.array(label, { minLength: 1, maxLength: 3 }),
    top: fc.oneof(fc.stringMatching(/^[a-z]{2,6}$/), fc.stringMatching(/^xn--[a-z0-9]{2,8}$/)),
  })
  .map(({ local, labels, top }) => ({ local, domain: [...labels, top].join('.') }));

describe('email', () => {
  it('every accepted written form of a valid address cleans to it, domain lower-cased and local part kept', () => {
    fc.assert(
      fc.property(email, ({ local, domain }) => {
        const expected = { ok: true, value: `${local}@${domain}` };
        for (const form of [`${local}@${domain}`, `\u3000${local}@${domain.toUpperCase()} `, fullWidth(`${local}@${domain}`)]) {
          expect(cleanEmail(form), form).toEqual(expected);
        }
      }),
      RUNS,
    );
  });

  it('a memo of checked domains (as the row cleaner passes one per sheet) never changes a result', () => {
    const anyText = fc.oneof(
      email.map(({ local, domain }) => `${local}@${domain}`),
      fc.string({ maxLength: 12 }).map((s) => `x@${s}`),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (texts, repeats) => {
        const domains = emailDomainMemo();
        for (let r = 0; r < repeats; r++) {
          for (const text of texts) expect(cleanEmail(text, domains), text).toEqual(cleanEmail(text));
        }
      }),
      RUNS,
    );
  });
});

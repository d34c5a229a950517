/** Framework-free translation and formatting, so pure modules and tests can use it too. */
import { dictionaries, type Lang, type MessageKey } from './messages.js';

export type Params = Record<string, string | number>;

export interface Translator {
  readonly lang: Lang;
  /** BCP 47 tag for Intl and the `lang` attribute. */
  readonly locale: string;
  t(key: MessageKey, params?: Params): string;
  /** For keys built at run time (error codes, states): false when the dictionary lacks them. */
  has(key: string): key is MessageKey;
  number(value: number, maximumFractionDigits?: number): string;
  bytes(value: number): string;
  dateTime(iso: string | null | undefined): string;
  /** A duration in whole seconds (rounded up), e.g. "2 分 5 秒". */
  duration(seconds: number): string;
}

export function fillPlaceholders(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export function createTranslator(lang: Lang): Translator {
  const messages = dictionaries[lang];
  const locale = lang === 'zh' ? 'zh-CN' : 'en';
  const numberFormats = new Map<number, Intl.NumberFormat>();
  const dateFormat = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const t = (key: MessageKey, params?: Params) => fillPlaceholders(messages[key] ?? key, params);
  const number = (value: number, maximumFractionDigits = 0) => {
    let format = numberFormats.get(maximumFractionDigits);
    if (!format) {
      format = new Intl.NumberFormat(locale, { maximumFractionDigits });
      numberFormats.set(maximumFractionDigits, format);
    }
    return format.format(value);
  };
  return {
    lang,
    locale,
    t,
    has: (key: string): key is MessageKey => Object.prototype.hasOwnProperty.call(messages, key),
    number,
    bytes: (value) => formatBytes(value, number),
    dateTime: (iso) => {
      if (!iso) return '—';
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? '—' : dateFormat.format(date);
    },
    duration: (seconds) => formatDuration(seconds, t, number),
  };
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(value: number, number: (v: number, digits?: number) => string): string {
  if (!Number.isFinite(value) || value < 0) return '—';
  let unit = 0;
  let scaled = value;
  while (scaled >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${number(scaled, unit === 0 || scaled >= 10 ? 0 : 1)} ${BYTE_UNITS[unit]}`;
}

function formatDuration(seconds: number, t: (key: MessageKey, params?: Params) => string, number: (v: number) => string = String): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 60) return t('time.seconds', { s: whole });
  if (whole < 3600) return t('time.minutes', { m: Math.floor(whole / 60), s: whole % 60 });
  return t('time.hours', { h: number(Math.floor(whole / 3600)), m: Math.floor((whole % 3600) / 60) });
}

// The kinds of environment variable the service reads (whole numbers in bounds, fractions, flags,
// choices, free text, and custom kinds), each turning a declaration into a Variable that reads
// itself from the environment. A declaration holds everything about one variable: its name,
// what it means, its default, what values it allows and how its text becomes a value. The same
// `expected` text is the error message and the line .env.example shows.

export type Env = Readonly<Record<string, string | undefined>>;

/** The type of value a Variable reads. */
export type ValueOf<V> = V extends Variable<infer T> ? T : never;

/** What a default may depend on, for the variables whose default is not one fixed value. */
export interface DefaultContext {
  readonly appEnv: string;
  readonly packageVersion: string;
}

/** A default worked out at start from the context, described in words for .env.example. */
export class DerivedDefault<T> {
  constructor(
    readonly describe: string,
    readonly from: (context: DefaultContext) => T,
  ) {}
}

/** Returned by a parser for text it does not accept; `expected` overrides the kind's own text. */
export class Invalid {
  constructor(readonly expected?: string) {}
}

export interface Variable<T> {
  /** Marks the value type for ValueOf; never set. */
  readonly valueType?: T;
  readonly name: string;
  readonly description: string;
  /** What the variable accepts, as in "expected a whole number from 0 to 65535". */
  readonly expected: string;
  /** The text .env.example assigns: the default as text, or '' when the default is derived. */
  readonly example: string;
  /** Words for a derived default ("false in prod, true elsewhere"); undefined for a fixed one. */
  readonly derivedDefault: string | undefined;
  /** Unset or blank: the default. Otherwise the parsed value, or a one-line problem. */
  readonly read: (env: Env, context: DefaultContext) => { value: T } | { problem: string };
  /** The default, worked out from the context if it is derived. */
  readonly fallback: (context: DefaultContext) => T;
  /** The one-line problem for this variable's `text`, with the value hidden if it may be secret. */
  readonly problem: (text: string, expected: string) => string;
}

interface Declaration<T> {
  readonly name: string;
  readonly description: string;
  readonly default: T | DerivedDefault<T>;
  /** The value may be a secret (or one pasted into the wrong variable): never echo it. */
  readonly secret?: boolean;
  /** For a value that may carry a secret inside it (a URL's user:password): what of it to show. */
  readonly redact?: (text: string) => string;
}

interface Kind<T> {
  readonly expected: string;
  readonly parse: (text: string) => T | Invalid;
  readonly format: (value: T) => string;
}

/** Shows a bad value so the operator can spot it, but never more than a short prefix of it. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** A variable of a custom kind: how to parse its text, format its default, and what it allows. */
export function variable<T>(declaration: Declaration<T>, kind: Kind<T>): Variable<T> {
  const fallback = declaration.default;
  const derived = fallback instanceof DerivedDefault ? fallback : undefined;
  const problem = (text: string, expected: string): string => {
    const shown =
      declaration.secret === true ? '<not shown>' : quote(declaration.redact?.(text) ?? text);
    return `${declaration.name}=${shown} is invalid: expected ${expected}`;
  };
  const fallbackFor = (context: DefaultContext): T =>
    derived ? derived.from(context) : (fallback as T);
  return {
    name: declaration.name,
    description: declaration.description,
    expected: kind.expected,
    example: derived ? '' : kind.format(fallback as T),
    derivedDefault: derived?.describe,
    problem,
    fallback: fallbackFor,
    read: (env, context) => {
      const text = env[declaration.name]?.trim() ?? '';
      if (text === '') return { value: fallbackFor(context) };
      const parsed = kind.parse(text);
      if (parsed instanceof Invalid)
        return { problem: problem(text, parsed.expected ?? kind.expected) };
      return { value: parsed };
    },
  };
}

const WHOLE_NUMBER = /^(0|[1-9]\d*)$/;

export function integer(
  declaration: Declaration<number> & { readonly min: number; readonly max: number },
): Variable<number> {
  const { min, max } = declaration;
  const expected = `a whole number from ${min} to ${max}`;
  return variable(declaration, {
    expected,
    parse(text) {
      // No sign, no leading zeros: 043707 is not silently read as 43707.
      if (!WHOLE_NUMBER.test(text)) {
        return new Invalid(/^0\d/.test(text) ? `${expected}, without leading zeros` : undefined);
      }
      const value = Number(text);
      return value >= min && value <= max ? value : new Invalid();
    },
    format: String,
  });
}

export function fraction(declaration: Declaration<number>): Variable<number> {
  return variable(declaration, {
    expected: 'a number from 0 to 1',
    parse(text) {
      const value = Number(text);
      return /^\d*\.?\d+$/.test(text) && value <= 1 ? value : new Invalid();
    },
    format: String,
  });
}

export function flag(declaration: Declaration<boolean>): Variable<boolean> {
  return variable(declaration, {
    expected: 'true or false',
    parse(text) {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      return new Invalid();
    },
    format: String,
  });
}

export function oneOf<const T extends string>(
  declaration: Declaration<T> & { readonly choices: readonly T[] },
): Variable<T> {
  const { choices } = declaration;
  return variable(declaration, {
    expected: `one of ${choices.join(', ')}`,
    parse: (text) => choices.find((choice) => choice === text) ?? new Invalid(),
    format: (value) => value,
  });
}

/** Free text: any value is allowed (surrounding whitespace is dropped). */
export function text(declaration: Declaration<string>): Variable<string> {
  return variable(declaration, {
    expected: 'any text',
    parse: (value) => value,
    format: (value) => value,
  });
}

// The block structure of an HCL file: which names are written as arguments (`name = ...`) and
// which as blocks (`name "label" { ... }`), nested as written. @cdktf/hcl2json turns both
// `allow { ... }` and `allow = [{ ... }]` into the same JSON, so it cannot tell a block written as
// an argument; this reader skips every expression (strings, templates, heredocs, comments,
// brackets) and keeps only that structure. Tests cross-check its top-level blocks with hcl2json.

export interface SyntaxBlock {
  type: string;
  labels: string[];
  /** Argument names, in order. */
  arguments: string[];
  blocks: SyntaxBlock[];
  line: number;
}

class Reader {
  private i = 0;
  constructor(private readonly text: string) {}

  get line(): number {
    return this.text.slice(0, this.i).split('\n').length;
  }
  private peek(offset = 0): string {
    return this.text[this.i + offset] ?? '';
  }
  private error(message: string): never {
    throw new Error(`HCL line ${this.line}: ${message}`);
  }

  /** Skips spaces and comments; newlines too unless stopAtNewline. */
  private skipSpace(stopAtNewline: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === '\n' && stopAtNewline) return;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.i++;
      else if (c === '#' || (c === '/' && this.peek(1) === '/'))
        while (this.i < this.text.length && this.peek() !== '\n') this.i++;
      else if (c === '/' && this.peek(1) === '*') {
        const end = this.text.indexOf('*/', this.i + 2);
        if (end < 0) this.error('unterminated comment');
        this.i = end + 2;
      } else return;
    }
  }

  private word(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.i));
    if (!match) this.error(`expected a name, found ${JSON.stringify(this.peek())}`);
    this.i += match[0].length;
    return match[0];
  }

  /** A quoted string (with ${...} templates that may hold strings themselves); returns its text. */
  private string(): string {
    const start = ++this.i;
    while (this.i < this.text.length) {
      const c = this.peek();
      if (c === '\\') this.i += 2;
      else if (c === '"') return this.text.slice(start, this.i++);
      else if ((c === '$' || c === '%') && this.peek(1) === '{') {
        this.i += 2;
        this.expression('}');
        this.i++;
      } else this.i++;
    }
    return this.error('unterminated string');
  }

  private heredoc(): void {
    const match = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\n/.exec(this.text.slice(this.i));
    if (!match) this.error('bad heredoc');
    this.i += match[0].length;
    const lines = this.text.slice(this.i).split('\n');
    let offset = 0;
    for (const line of lines) {
      offset += line.length + 1;
      if (line.trim() === match[1]) {
        this.i += offset - 1;
        return;
      }
    }
    this.error(`heredoc ${match[1]} not closed`);
  }

  /** Skips an expression up to a newline (outside brackets) or the closing `until` bracket. */
  private expression(until: string): void {
    const closers: string[] = [];
    for (;;) {
      this.skipSpace(closers.length === 0);
      const c = this.peek();
      if (c === '') return;
      if (closers.length === 0 && (c === '\n' || c === until)) return;
      if (c === '"') this.string();
      else if (c === '<' && this.peek(1) === '<' && /[A-Za-z-]/.test(this.peek(2))) this.heredoc();
      else if (c === '(' || c === '[' || c === '{') {
        closers.push(c === '(' ? ')' : c === '[' ? ']' : '}');
        this.i++;
      } else if (c === ')' || c === ']' || c === '}') {
        if (closers.pop() !== c) this.error(`unbalanced ${c}`);
        this.i++;
      } else this.i++;
    }
  }

  /** The statements of a body, up to its closing brace (or the end of the file). */
  body(block: SyntaxBlock, closed: boolean): SyntaxBlock {
    for (;;) {
      this.skipSpace(false);
      const c = this.peek();
      if (c === '') {
        if (closed) this.error(`block ${block.type} not closed`);
        return block;
      }
      if (c === '}') {
        if (!closed) this.error('unexpected }');
        this.i++;
        return block;
      }
      const line = this.line;
      const name = this.word();
      this.skipSpace(true);
      if (this.peek() === '=' && this.peek(1) !== '=') {
        this.i++;
        block.arguments.push(name);
        this.expression('}');
        continue;
      }
      const labels: string[] = [];
      while (this.peek() !== '{') {
        if (this.peek() === '"') labels.push(this.string());
        else labels.push(this.word());
        this.skipSpace(true);
      }
      this.i++;
      block.blocks.push(this.body({ type: name, labels, arguments: [], blocks: [], line }, true));
    }
  }
}

/** The top-level blocks and arguments of one HCL file. */
export function parseSyntax(text: string): SyntaxBlock {
  return new Reader(text).body({ type: '', labels: [], arguments: [], blocks: [], line: 1 }, false);
}

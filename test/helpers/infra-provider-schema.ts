// Checks every resource, data source, provider block, argument and nested block in an OpenTofu
// directory against the schemas of the exact provider versions its versions.tf pins, offline.
// The schemas come from the npm packages @cdktf/provider-<name>, which are generated from the
// provider's own `providers schema -json`; each is installed under the alias
// provider-<name>-<provider version> (package.json), and its package.json names the provider
// version it was generated from (cdktf.provider). Their .jsii file lists, per resource and data
// source, the config struct: every argument (with the Terraform name in its registry link), which
// ones are required (not optional) and which are nested blocks (struct types, "... block.").
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { parseSyntax, type SyntaxBlock } from './infra-hcl-syntax.js';
import { repoPath } from './paths.js';

interface Property {
  required: boolean;
  /** The struct of a nested block; undefined for an argument. */
  block?: string;
}
type Struct = Record<string, Property>;

interface ProviderSchema {
  name: string;
  version: string;
  provider: Struct;
  resources: Record<string, Struct>;
  dataSources: Record<string, Struct>;
  /** Every nested block's struct, by name. */
  structs: Record<string, Struct>;
}

interface JsiiType {
  kind: string;
  datatype?: boolean;
  docs?: { summary?: string; remarks?: string };
  properties?: {
    name: string;
    optional?: boolean;
    docs?: { summary?: string; remarks?: string };
    type: JsiiTypeRef;
  }[];
  initializer?: { parameters?: { name: string; type: JsiiTypeRef }[] };
}
interface JsiiTypeRef {
  fqn?: string;
  primitive?: string;
  collection?: { kind: string; elementtype: JsiiTypeRef };
  union?: { types: JsiiTypeRef[] };
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The struct a property's type names, if it is one (a nested block), looking through lists. */
function structOf(ref: JsiiTypeRef, types: Record<string, JsiiType>): string | undefined {
  if (ref.fqn && types[ref.fqn]?.datatype) return ref.fqn;
  if (ref.collection?.kind === 'array') return structOf(ref.collection.elementtype, types);
  for (const member of ref.union?.types ?? []) {
    const found = structOf(member, types);
    if (found) return found;
  }
  return undefined;
}

function extract(name: string, version: string, types: Record<string, JsiiType>): ProviderSchema {
  const structs = new Map<string, Struct>();
  const struct = (fqn: string): Struct => {
    const known = structs.get(fqn);
    if (known) return known;
    const result: Struct = {};
    structs.set(fqn, result);
    for (const property of types[fqn]?.properties ?? []) {
      const tfName = /#(\w+) /.exec(property.docs?.remarks ?? '')?.[1] ?? snake(property.name);
      const block = structOf(property.type, types);
      result[tfName] = { required: property.optional !== true, ...(block ? { block } : {}) };
      if (block) struct(block);
    }
    return result;
  };
  const schema: ProviderSchema = {
    name,
    version,
    provider: {},
    resources: {},
    dataSources: {},
    structs: {},
  };
  const link = new RegExp(
    `^Represents a \\{@link https://registry\\.terraform\\.io/providers/hashicorp/${name}/([^/]+)/docs(?:/(resources|data-sources)/\\w+)? (\\w+)\\}`,
  );
  for (const type of Object.values(types)) {
    if (type.kind !== 'class') continue;
    const match = link.exec(type.docs?.summary ?? '');
    const config = type.initializer?.parameters?.find((p) => p.name === 'config')?.type.fqn;
    if (!match || !config) continue;
    if (match[1] !== version)
      throw new Error(
        `provider-${name}-${version}: ${match[3]} is documented for version ${match[1]}`,
      );
    if (match[2] === 'resources') schema.resources[match[3] ?? ''] = struct(config);
    else if (match[2] === 'data-sources') schema.dataSources[match[3] ?? ''] = struct(config);
    else schema.provider = struct(config);
  }
  schema.structs = Object.fromEntries(structs);
  return schema;
}

/** The schema package of one provider version, or an error saying what to install. */
export function loadProviderSchema(name: string, version: string): ProviderSchema {
  const dir = repoPath(`node_modules/provider-${name}-${version}`);
  const install = `install its schema: npm i -D --save-exact provider-${name}-${version}@npm:@cdktf/provider-${name}@<the release generated from hashicorp/${name} ${version}>`;
  if (!existsSync(join(dir, 'package.json')))
    throw new Error(`no provider schema package for hashicorp/${name} ${version}; ${install}`);
  const metadata = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    cdktf?: { provider?: { name?: string; version?: string } };
  };
  const generatedFrom = metadata.cdktf?.provider;
  if (
    generatedFrom?.name !== `registry.terraform.io/hashicorp/${name}` ||
    generatedFrom.version !== version
  )
    throw new Error(
      `provider-${name}-${version} was generated from ${generatedFrom?.name ?? '?'} ${generatedFrom?.version ?? '?'}, not hashicorp/${name} ${version}; ${install}`,
    );
  // The extract is cached under .tmp by the .jsii's size and time: parsing ~100 MB takes seconds.
  const jsii = join(dir, '.jsii');
  const stat = statSync(jsii);
  const key = createHash('sha256')
    .update(`${jsii}\0${stat.size}\0${stat.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const cache = repoPath(`.tmp/provider-schema/${name}-${version}-${key}.json`);
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as ProviderSchema;
  const types = (JSON.parse(readFileSync(jsii, 'utf8')) as { types: Record<string, JsiiType> })
    .types;
  const schema = extract(name, version, types);
  mkdirSync(repoPath('.tmp/provider-schema'), { recursive: true });
  writeFileSync(`${cache}.${process.pid}`, JSON.stringify(schema));
  writeFileSync(cache, readFileSync(`${cache}.${process.pid}`));
  return schema;
}

const RESOURCE_META = new Set(['count', 'for_each', 'depends_on', 'provider']);
const RESOURCE_META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);

/** Problems of one block body against its struct, each naming where it is. */
function checkBody(
  block: SyntaxBlock,
  struct: Struct,
  structs: Record<string, Struct>,
  where: string,
  meta: { arguments: Set<string>; blocks: Set<string> },
): string[] {
  const problems: string[] = [];
  const present = new Set<string>();
  for (const name of block.arguments) {
    present.add(name);
    if (meta.arguments.has(name)) continue;
    const property = struct[name];
    if (!property) problems.push(`${where}: unknown argument "${name}"`);
    else if (property.block)
      problems.push(
        `${where}: "${name}" is a block, written as an argument (${name} = ...); write ${name} { ... }`,
      );
  }
  for (const child of block.blocks) {
    if (meta.blocks.has(child.type)) continue;
    const dynamic = child.type === 'dynamic';
    const name = dynamic ? (child.labels[0] ?? '') : child.type;
    present.add(name);
    const property = struct[name];
    if (!property) {
      problems.push(`${where}: unknown block "${name}"`);
      continue;
    }
    if (!property.block) {
      problems.push(`${where}: "${name}" is an argument, written as a block; write ${name} = ...`);
      continue;
    }
    const body = dynamic ? child.blocks.find((b) => b.type === 'content') : child;
    if (!body) problems.push(`${where}: dynamic "${name}" has no content block`);
    else
      problems.push(
        ...checkBody(body, structs[property.block] ?? {}, structs, `${where}.${name}`, {
          arguments: new Set(),
          blocks: new Set(),
        }),
      );
  }
  for (const [name, property] of Object.entries(struct))
    if (property.required && !present.has(name))
      problems.push(
        `${where}: missing required ${property.block ? 'block' : 'argument'} "${name}"`,
      );
  return problems;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** Every problem of the *.tf files in `dir` against the pinned providers' schemas. */
export async function providerSchemaProblems(dir: string): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .sort();
  const trees = files.map((file) => ({
    file,
    tree: parseSyntax(readFileSync(join(dir, file), 'utf8')),
  }));
  const problems: string[] = [];

  // Pins from versions.tf (terraform.required_providers) and `provider = ...` meta-arguments,
  // read with hcl2json.
  const pins = new Map<string, string>();
  const explicitProvider = new Map<string, string>();
  for (const file of files) {
    const parsed = asRecord(await parse(file, readFileSync(join(dir, file), 'utf8')));
    for (const kind of ['resource', 'data'])
      for (const [type, byName] of Object.entries(asRecord(parsed[kind])))
        for (const [name, bodies] of Object.entries(asRecord(byName))) {
          const provider = asRecord((bodies as unknown[])[0]).provider;
          if (typeof provider === 'string')
            explicitProvider.set(
              `${kind}.${type}.${name}`,
              provider.replace(/^\$\{|\}$/g, '').split('.')[0] ?? '',
            );
        }
    for (const terraform of (parsed.terraform as unknown[] | undefined) ?? [])
      for (const providers of (asRecord(terraform).required_providers as unknown[] | undefined) ??
        [])
        for (const [name, spec] of Object.entries(asRecord(providers)))
          pins.set(name, String(asRecord(spec).version));
    // The syntax reader must see the same resources and data sources as hcl2json.
    const fromJson = ['resource', 'data'].flatMap((kind) =>
      Object.entries(asRecord(parsed[kind])).flatMap(([type, byName]) =>
        Object.keys(asRecord(byName)).map((name) => `${kind}.${type}.${name}`),
      ),
    );
    const fromSyntax = (trees.find((t) => t.file === file)?.tree.blocks ?? [])
      .filter((b) => b.type === 'resource' || b.type === 'data')
      .map((b) => `${b.type}.${b.labels.join('.')}`);
    if (fromJson.sort().join() !== fromSyntax.sort().join())
      problems.push(
        `${file}: the syntax reader and hcl2json disagree (${fromSyntax.join(', ')} vs ${fromJson.join(', ')})`,
      );
  }

  const schemas = new Map<string, ProviderSchema>();
  const schemaFor = (provider: string, where: string) => {
    const version = pins.get(provider);
    if (!version) {
      problems.push(
        `${where}: provider "${provider}" is not pinned in terraform.required_providers`,
      );
      return undefined;
    }
    if (!/^\d+\.\d+\.\d+$/.test(version)) {
      problems.push(
        `${where}: provider "${provider}" must be pinned to an exact version, not "${version}"`,
      );
      return undefined;
    }
    if (!schemas.has(provider)) {
      try {
        schemas.set(provider, loadProviderSchema(provider, version));
      } catch (error) {
        problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    }
    return schemas.get(provider);
  };

  for (const { file, tree } of trees)
    for (const block of tree.blocks) {
      if (block.type === 'provider') {
        const name = block.labels[0] ?? '';
        const schema = schemaFor(name, `${file}: provider "${name}"`);
        if (schema)
          problems.push(
            ...checkBody(block, schema.provider, schema.structs, `${file}: provider.${name}`, {
              arguments: new Set(['alias']),
              blocks: new Set(),
            }),
          );
        continue;
      }
      if (block.type !== 'resource' && block.type !== 'data') continue;
      const [type = '', name = ''] = block.labels;
      const where = `${file}: ${block.type === 'data' ? 'data.' : ''}${type}.${name}`;
      // `provider = google-beta` (or an alias of it) selects the provider; else the type's prefix.
      const provider =
        explicitProvider.get(`${block.type}.${type}.${name}`) ?? type.split('_')[0] ?? '';
      const schema = schemaFor(provider, where);
      if (!schema) continue;
      const struct = (block.type === 'resource' ? schema.resources : schema.dataSources)[type];
      if (!struct) {
        problems.push(
          `${where}: hashicorp/${provider} ${schema.version} has no ${block.type === 'resource' ? 'resource' : 'data source'} "${type}"`,
        );
        continue;
      }
      problems.push(
        ...checkBody(block, struct, schema.structs, where, {
          arguments: RESOURCE_META,
          blocks: block.type === 'resource' ? RESOURCE_META_BLOCKS : new Set(['lifecycle']),
        }),
      );
    }
  return problems;
}

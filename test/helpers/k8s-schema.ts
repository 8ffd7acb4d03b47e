// Validates rendered Kubernetes objects against the Kubernetes 1.30 API, the way an API server
// with strict field validation would: unknown fields, wrong types and missing required fields
// are errors. Two sources, each covering what the other misses:
// - kubernetes-types@1.30.0 (generated from the 1.30 OpenAPI spec): every field name and type,
//   read through the TypeScript compiler, so a field that 1.30 does not know is rejected;
// - kubernetes-models (JSON-schema validators): formats and integer ranges (int32, int64...).
//   Its schemas accept unknown fields, which is why the first check exists.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './k8s-manifests.js';

const require = createRequire(import.meta.url);
const TYPES_ROOT = dirname(require.resolve('kubernetes-types/package.json'));
const MODELS_ROOT = dirname(require.resolve('kubernetes-models/package.json'));

export const KUBERNETES_TYPES_VERSION = (
  require('kubernetes-types/package.json') as { version: string }
).version;

/**
 * Kinds whose type comes from kubernetes-models instead: APIService (kube-aggregator) is not in
 * kubernetes-types, and kubernetes-types@1.30.0 drops the fields NamedRuleWithOperations embeds
 * from Rule (resources, scope), which every ValidatingAdmissionPolicy uses.
 */
const MODELS_KINDS: Record<string, readonly string[]> = {
  'apiregistration.k8s.io/v1': ['APIService'],
  'admissionregistration.k8s.io/v1': [
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ],
};

/** Where the 1.30 type of a kind lives. kubernetes-types names groups by their first label. */
function typesFileFor(apiVersion: string, kind: string): string | undefined {
  if (MODELS_KINDS[apiVersion]?.includes(kind))
    return join(MODELS_ROOT, apiVersion, `${kind}.d.ts`);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  if (group === undefined || version === undefined) return undefined;
  return join(TYPES_ROOT, group.split('.')[0] ?? group, `${version}.d.ts`);
}

function exportNameFor(apiVersion: string, kind: string): string {
  return MODELS_KINDS[apiVersion]?.includes(kind) ? `I${kind}` : kind;
}

/** Checks plain JSON values against TypeScript types, field by field. */
class StrictStructureChecker {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;

  constructor(files: readonly string[]) {
    this.program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      types: [],
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    this.checker = this.program.getTypeChecker();
  }

  typeOf(file: string, exportName: string): ts.Type | undefined {
    const source = this.program.getSourceFile(file);
    if (!source) return undefined;
    const moduleSymbol = this.checker.getSymbolAtLocation(source);
    if (!moduleSymbol) return undefined;
    const symbol = this.checker
      .getExportsOfModule(moduleSymbol)
      .find((candidate) => candidate.name === exportName);
    if (!symbol) return undefined;
    const target =
      symbol.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(symbol) : symbol;
    return this.checker.getDeclaredTypeOfSymbol(target);
  }

  check(value: unknown, type: ts.Type, path: string, errors: string[]): void {
    const flags = type.flags;
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (type.isUnion()) {
      this.checkUnion(value, type, path, errors);
      return;
    }
    if (value === null || value === undefined) {
      errors.push(`${path}: null is not allowed, expected ${this.name(type)}`);
      return;
    }
    if (type.isStringLiteral() || type.isNumberLiteral()) {
      if (value !== type.value)
        errors.push(
          `${path}: ${JSON.stringify(value)} is not allowed, expected ${this.name(type)}`,
        );
      return;
    }
    if (flags & ts.TypeFlags.BooleanLiteral) {
      if (typeof value !== 'boolean' || String(value) !== this.name(type))
        errors.push(`${path}: expected ${this.name(type)}, got ${JSON.stringify(value)}`);
      return;
    }
    const primitive = this.primitiveName(flags);
    if (primitive) {
      if (typeof value !== primitive)
        errors.push(`${path}: expected ${primitive}, got ${describeValue(value)}`);
      return;
    }
    if (this.checker.isArrayType(type)) {
      this.checkArray(value, type as ts.TypeReference, path, errors);
      return;
    }
    this.checkObject(value, type, path, errors);
  }

  private checkUnion(value: unknown, type: ts.UnionType, path: string, errors: string[]): void {
    const members = type.types.filter(
      (member) => !(member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
    );
    if (members.length === 1 && members[0]) {
      this.check(value, members[0], path, errors);
      return;
    }
    let firstErrors: string[] | undefined;
    for (const member of members) {
      const memberErrors: string[] = [];
      this.check(value, member, path, memberErrors);
      if (memberErrors.length === 0) return;
      firstErrors ??= memberErrors;
    }
    // An object that matches no member: the first member's field errors say more than the union.
    if (typeof value === 'object' && value !== null && firstErrors) errors.push(...firstErrors);
    else {
      const names = members.map((member) => this.name(member)).join(' | ');
      errors.push(`${path}: expected ${names}, got ${describeValue(value)}`);
    }
  }

  private checkArray(value: unknown, type: ts.TypeReference, path: string, errors: string[]) {
    if (!Array.isArray(value)) {
      errors.push(`${path}: expected a list, got ${describeValue(value)}`);
      return;
    }
    const element = this.checker.getTypeArguments(type)[0];
    if (!element) return;
    value.forEach((item: unknown, index) => {
      this.check(item, element, `${path}[${index}]`, errors);
    });
  }

  private checkObject(value: unknown, type: ts.Type, path: string, errors: string[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${path}: expected an object (${this.name(type)}), got ${describeValue(value)}`);
      return;
    }
    const record = value as Record<string, unknown>;
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    for (const [key, item] of Object.entries(record)) {
      const property = this.checker.getPropertyOfType(type, key);
      const itemPath = path === '' ? key : `${path}.${key}`;
      if (property) this.check(item, this.checker.getTypeOfSymbol(property), itemPath, errors);
      else if (index) this.check(item, index.type, itemPath, errors);
      else errors.push(`${itemPath}: unknown field (${this.name(type)} has no field "${key}")`);
    }
    for (const property of this.checker.getPropertiesOfType(type)) {
      if (property.flags & ts.SymbolFlags.Optional) continue;
      if (!(property.name in record)) {
        const where = path === '' ? property.name : `${path}.${property.name}`;
        errors.push(`${where}: required field is missing (${this.name(type)})`);
      }
    }
  }

  private primitiveName(flags: ts.TypeFlags): 'string' | 'number' | 'boolean' | undefined {
    if (flags & ts.TypeFlags.String) return 'string';
    if (flags & ts.TypeFlags.Number) return 'number';
    if (flags & ts.TypeFlags.Boolean) return 'boolean';
    return undefined;
  }

  private name(type: ts.Type): string {
    return this.checker.typeToString(type);
  }
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Every group/version the project's manifests use. */
const API_VERSIONS = [
  'v1',
  'apps/v1',
  'autoscaling/v2',
  'policy/v1',
  'networking.k8s.io/v1',
  'rbac.authorization.k8s.io/v1',
  'apiregistration.k8s.io/v1',
  // ValidatingAdmissionPolicy and its binding (k8s/cluster), GA in 1.30.
  'admissionregistration.k8s.io/v1',
  'storage.k8s.io/v1',
];

let structureChecker: StrictStructureChecker | undefined;

function strictChecker(): StrictStructureChecker {
  structureChecker ??= new StrictStructureChecker(
    [
      ...API_VERSIONS.filter((apiVersion) => !(apiVersion in MODELS_KINDS)).map((apiVersion) =>
        typesFileFor(apiVersion, ''),
      ),
      ...Object.entries(MODELS_KINDS).flatMap(([apiVersion, kinds]) =>
        kinds.map((kind) => typesFileFor(apiVersion, kind)),
      ),
    ].filter((file): file is string => file !== undefined),
  );
  return structureChecker;
}

/** Field-level errors against the 1.30 types: unknown fields, wrong types, missing fields. */
function structureErrors(object: K8sObject): string[] {
  const file = typesFileFor(object.apiVersion, object.kind);
  if (!API_VERSIONS.includes(object.apiVersion) || file === undefined)
    return [`apiVersion ${object.apiVersion} is not one this project validates`];
  const type = strictChecker().typeOf(file, exportNameFor(object.apiVersion, object.kind));
  if (!type) return [`kind ${object.kind} does not exist in ${object.apiVersion}`];
  const errors: string[] = [];
  strictChecker().check(object, type, '', errors);
  return errors;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Errors from kubernetes-models' JSON-schema validator (formats, integer ranges). */
async function modelErrors(object: K8sObject): Promise<string[]> {
  const module = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<
    string,
    ModelClass | undefined
  >;
  const Model = module[object.kind];
  if (!Model) return [`kubernetes-models has no ${object.kind} in ${object.apiVersion}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [String(error instanceof Error ? error.message : error)];
  }
}

/** Both checks; an empty list means the object would pass the 1.30 API server's validation. */
export async function schemaErrors(object: K8sObject): Promise<string[]> {
  return [...structureErrors(object), ...(await modelErrors(object))];
}

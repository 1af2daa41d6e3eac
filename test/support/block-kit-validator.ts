// Validates Block Kit payloads the way Slack would refuse them: the vendored community JSON schema
// (test/schemas/slack-block-kit-schema, vendored) plus the documented limits the schema does not express
// (per-surface block counts, unique block_ids) or that we want reported in plainer words.
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
// ajv-formats is CommonJS: under NodeNext the default import is module.exports, whose `.default`
// is the plugin itself.
import addFormatsModule from "ajv-formats";

const addFormats = addFormatsModule.default;

export type BlockKitSurface = "message" | "modal" | "home";

export class BlockKitValidationError extends Error {
  constructor(
    readonly surface: BlockKitSurface,
    readonly violations: string[],
  ) {
    super(`Invalid Block Kit ${surface}:\n- ${violations.join("\n- ")}`);
    this.name = "BlockKitValidationError";
  }
}

/** One problem: where (a JSON pointer into the payload) and what. */
export interface BlockKitIssue {
  path: string;
  message: string;
}

/**
 * Every reason Slack would refuse this payload; empty when valid.
 * `payload` is a blocks array for 'message' and a view object for 'modal' and 'home'.
 */
export function blockKitIssues(surface: BlockKitSurface, payload: unknown): BlockKitIssue[] {
  const custom = limitIssues(surface, payload);
  const covered = new Set(custom.map((v) => v.path));
  // A hand-written check at the same spot says the same thing more precisely: keep only that one.
  const fromSchema = schemaIssues(surface, payload).filter((v) => !covered.has(v.path));
  const unique = new Map<string, BlockKitIssue>();
  for (const issue of [...fromSchema, ...custom]) unique.set(`${issue.path}\0${issue.message}`, issue);
  return [...unique.values()];
}

/** The same as {@link blockKitIssues}, as human-readable "<json pointer>: <problem>" lines. */
export function blockKitViolations(surface: BlockKitSurface, payload: unknown): string[] {
  return blockKitIssues(surface, payload).map((v) => `${v.path || "/"}: ${v.message}`);
}

export function assertValidBlockKit(surface: BlockKitSurface, payload: unknown): void {
  const violations = blockKitViolations(surface, payload);
  if (violations.length > 0) throw new BlockKitValidationError(surface, violations);
}

/** The surface a view object is meant for, from its `type` (anything but 'home' is checked as a modal). */
export function viewSurface(view: unknown): BlockKitSurface {
  return isRecord(view) && view.type === "home" ? "home" : "modal";
}

// ---------------------------------------------------------------------------------------------
// JSON schema

type Json = unknown;
type JsonObject = Record<string, Json>;

const SCHEMA_URL = new URL("../schemas/slack-block-kit-schema/slack-block-kit.schema.json", import.meta.url);
const SURFACE_REF: Record<BlockKitSurface, string> = {
  message: "", // the schema's root is a blocks array
  modal: "#/$defs/modal_view",
  home: "#/$defs/home_view",
};

let validators: Record<BlockKitSurface, ValidateFunction> | undefined;

function schemaIssues(surface: BlockKitSurface, payload: unknown): BlockKitIssue[] {
  validators ??= compileValidators();
  const validate = validators[surface];
  if (validate(payload)) return [];
  return (validate.errors ?? []).filter((e) => e.keyword !== "if").map(toIssue);
}

function compileValidators(): Record<BlockKitSurface, ValidateFunction> {
  const schema = discriminateUnions(JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as JsonObject);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(schema);
  const id = String(schema.$id);
  const compile = (ref: string): ValidateFunction => {
    const fn = ajv.getSchema(id + ref);
    if (!fn) throw new Error(`Block Kit schema has no ${ref}`);
    return fn;
  };
  return { message: compile(SURFACE_REF.message), modal: compile(SURFACE_REF.modal), home: compile(SURFACE_REF.home) };
}

/**
 * The schema writes block and element unions as `oneOf` over `$ref`s. With allErrors, Ajv then reports
 * why the payload fails *every* branch (a section block yields ~150 errors about not being a video).
 * Each branch is tagged by a `type` const, so rewrite those unions as "type must be one of these, and
 * if type is X then it must match X's schema": same language accepted, errors only from the chosen branch.
 */
function discriminateUnions(schema: JsonObject): JsonObject {
  const defs = schema.$defs as Record<string, JsonObject>;
  const rewrite = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isRecord(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) out[key] = rewrite(value);
    const plainUnion = Array.isArray(node.oneOf) && !("properties" in node || "required" in node || "allOf" in node);
    const branches = plainUnion ? taggedBranches(node.oneOf as Json[], defs) : undefined;
    if (!branches) return out;
    delete out.oneOf;
    return {
      ...out,
      type: "object",
      required: ["type"],
      properties: { type: { enum: branches.map((b) => b.tag) } },
      allOf: branches.map((b) => ({
        if: { required: ["type"], properties: { type: { const: b.tag } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
        then: { $ref: b.ref },
      })),
    };
  };
  return rewrite(schema) as JsonObject;
}

interface TaggedBranch {
  tag: string;
  ref: string;
}

/** The (type tag, $ref) pairs of a union, flattening nested tagged unions; undefined if any branch is untagged. */
function taggedBranches(branches: Json[], defs: Record<string, JsonObject>): TaggedBranch[] | undefined {
  const out: TaggedBranch[] = [];
  for (const branch of branches) {
    const ref = isRecord(branch) && typeof branch.$ref === "string" ? branch.$ref : undefined;
    const def = ref?.startsWith("#/$defs/") ? defs[ref.slice("#/$defs/".length)] : undefined;
    if (!ref || !def) return undefined;
    const tag = (def.properties as JsonObject | undefined)?.type;
    if (isRecord(tag) && typeof tag.const === "string") {
      out.push({ tag: tag.const, ref });
      continue;
    }
    const nested = Array.isArray(def.oneOf) ? taggedBranches(def.oneOf, defs) : undefined;
    if (!nested) return undefined;
    out.push(...nested);
  }
  return new Set(out.map((b) => b.tag)).size === out.length ? out : undefined;
}

function toIssue(e: ErrorObject): BlockKitIssue {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return { path: `${e.instancePath}/${String(params.missingProperty)}`, message: "is required" };
    case "additionalProperties":
      return { path: e.instancePath, message: `unexpected property "${String(params.additionalProperty)}"` };
    case "enum":
      return { path: e.instancePath, message: `must be one of ${JSON.stringify(params.allowedValues)}` };
    case "const":
      return { path: e.instancePath, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path: e.instancePath, message: e.message ?? e.keyword };
  }
}

// ---------------------------------------------------------------------------------------------
// Documented limits (SLACK-NOTES §3, §4)

const MAX_BLOCKS: Record<BlockKitSurface, number> = { message: 50, modal: 100, home: 100 };
const LIMITS = {
  viewButtonText: 24,
  privateMetadata: 3000,
  id: 255,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  header: 150,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 75, // docs now say 150, @slack/types still says 75: stay under both
  selectOptions: 100,
  actionsElements: 25,
  contextElements: 10,
} as const;

class LimitChecker {
  readonly issues: BlockKitIssue[] = [];

  maxLength(path: string, value: unknown, limit: number, what: string): void {
    if (typeof value === "string" && value.length > limit) {
      this.add(path, `${what} is ${value.length} characters; the limit is ${limit}`);
    }
  }

  maxItems(path: string, value: unknown, limit: number, what: string): void {
    if (Array.isArray(value) && value.length > limit) {
      this.add(path, `${value.length} ${what}; the limit is ${limit}`);
    }
  }

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

function limitIssues(surface: BlockKitSurface, payload: unknown): BlockKitIssue[] {
  const check = new LimitChecker();
  if (surface === "message") {
    checkBlocks(check, "", payload, surface);
  } else if (isRecord(payload)) {
    checkView(check, payload, surface);
  }
  return check.issues;
}

function checkView(check: LimitChecker, view: JsonObject, surface: BlockKitSurface): void {
  for (const key of ["title", "submit", "close"] as const) {
    const text = isRecord(view[key]) ? view[key].text : undefined;
    check.maxLength(`/${key}/text`, text, LIMITS.viewButtonText, `${key} text`);
  }
  check.maxLength("/private_metadata", view.private_metadata, LIMITS.privateMetadata, "private_metadata");
  check.maxLength("/callback_id", view.callback_id, LIMITS.id, "callback_id");
  check.maxLength("/external_id", view.external_id, LIMITS.id, "external_id");
  const blocks = view.blocks;
  if (surface === "modal" && Array.isArray(blocks) && view.submit === undefined) {
    if (blocks.some((b) => isRecord(b) && b.type === "input")) check.add("/submit", "is required when the modal has an input block");
  }
  checkBlocks(check, "/blocks", blocks, surface);
}

function checkBlocks(check: LimitChecker, path: string, blocks: unknown, surface: BlockKitSurface): void {
  if (!Array.isArray(blocks)) return;
  check.maxItems(path, blocks, MAX_BLOCKS[surface], `blocks in a ${surface}`);
  const seen = new Map<string, number>();
  blocks.forEach((block, i) => {
    if (!isRecord(block)) return;
    const at = `${path}/${i}`;
    const blockId = block.block_id;
    if (typeof blockId === "string") {
      const first = seen.get(blockId);
      if (first !== undefined) check.add(`${at}/block_id`, `duplicate block_id "${blockId}" (also block ${first})`);
      else seen.set(blockId, i);
    }
    check.maxLength(`${at}/block_id`, blockId, LIMITS.id, "block_id");
    checkBlock(check, at, block);
  });
}

function checkBlock(check: LimitChecker, at: string, block: JsonObject): void {
  switch (block.type) {
    case "section":
      check.maxLength(`${at}/text/text`, textOf(block.text), LIMITS.sectionText, "section text");
      check.maxItems(`${at}/fields`, block.fields, LIMITS.fields, "section fields");
      asArray(block.fields).forEach((f, i) => {
        check.maxLength(`${at}/fields/${i}/text`, textOf(f), LIMITS.fieldText, "field text");
      });
      break;
    case "header":
      check.maxLength(`${at}/text/text`, textOf(block.text), LIMITS.header, "header text");
      break;
    case "actions":
      check.maxItems(`${at}/elements`, block.elements, LIMITS.actionsElements, "elements in an actions block");
      break;
    case "context":
      check.maxItems(`${at}/elements`, block.elements, LIMITS.contextElements, "elements in a context block");
      break;
  }
  const actionIds = new Set<string>();
  for (const [path, element] of interactiveElements(at, block)) {
    const actionId = element.action_id;
    if (typeof actionId === "string") {
      if (actionIds.has(actionId)) check.add(`${path}/action_id`, `duplicate action_id "${actionId}" in one block`);
      actionIds.add(actionId);
    }
    checkElement(check, path, element);
  }
}

function interactiveElements(at: string, block: JsonObject): Array<[string, JsonObject]> {
  const found: Array<[string, JsonObject]> = [];
  if (isRecord(block.accessory)) found.push([`${at}/accessory`, block.accessory]);
  if (isRecord(block.element)) found.push([`${at}/element`, block.element]);
  if (block.type === "actions" || block.type === "context_actions") {
    asArray(block.elements).forEach((e, i) => {
      if (isRecord(e)) found.push([`${at}/elements/${i}`, e]);
    });
  }
  return found;
}

function checkElement(check: LimitChecker, at: string, element: JsonObject): void {
  check.maxLength(`${at}/action_id`, element.action_id, LIMITS.id, "action_id");
  if (element.type === "button") {
    check.maxLength(`${at}/text/text`, textOf(element.text), LIMITS.buttonText, "button text");
    check.maxLength(`${at}/value`, element.value, LIMITS.buttonValue, "button value");
  }
  if (element.type === "static_select" || element.type === "multi_static_select") {
    check.maxItems(`${at}/options`, element.options, LIMITS.selectOptions, "options");
    check.maxItems(`${at}/option_groups`, element.option_groups, LIMITS.selectOptions, "option groups");
  }
  for (const [path, option] of optionsOf(at, element)) {
    check.maxLength(`${path}/text/text`, textOf(option.text), LIMITS.optionText, "option text");
    check.maxLength(`${path}/value`, option.value, LIMITS.optionValue, "option value");
  }
}

function optionsOf(at: string, element: JsonObject): Array<[string, JsonObject]> {
  const found: Array<[string, JsonObject]> = [];
  const collect = (path: string, list: unknown) =>
    asArray(list).forEach((o, i) => {
      if (isRecord(o)) found.push([`${path}/${i}`, o]);
    });
  collect(`${at}/options`, element.options);
  asArray(element.option_groups).forEach((g, i) => {
    if (isRecord(g)) collect(`${at}/option_groups/${i}/options`, g.options);
  });
  collect(`${at}/initial_options`, element.initial_options);
  if (isRecord(element.initial_option)) found.push([`${at}/initial_option`, element.initial_option]);
  return found;
}

// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function textOf(textObject: unknown): unknown {
  return isRecord(textObject) ? textObject.text : undefined;
}

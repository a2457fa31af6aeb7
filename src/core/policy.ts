// Merge policy as data, one per binding (ARCHITECTURE.md "Merge policy"). A policy only
// decides what happens when both sides changed the same field since the base, or one
// side edited what the other deleted; a field changed on one side always takes that
// side, in every mode, so a one-sided edit is never lost.
import { isPlainObject, oneOfArgument } from './arguments.ts';
import { CoreError } from './errors.ts';

export const SIDES = ['calendar', 'remote'] as const;
export type Side = (typeof SIDES)[number];

/**
 * The units a merge decides on. `time` is start, end and allDay together; `recurrence`
 * the series rule (RRULE and RDATE); removed instances (EXDATE) merge as a set.
 */
export const MERGE_FIELDS = [
  'time', 'recurrence', 'status', 'summary', 'description', 'location', 'transparency',
  'visibility', 'organizer', 'attendees', 'conference', 'reminders', 'categories', 'color',
] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];
const FIELD_SET: ReadonlySet<string> = new Set(MERGE_FIELDS);

/** What settles a same-field change: the later write, a person, or one side. */
export type FieldRule = 'latest' | 'ask' | 'calendar' | 'remote';

export type PolicyMode = 'default' | 'manual' | 'calendar-wins' | 'remote-wins';

/** Edit on one side against delete on the other. */
export type EditVsDeleteRule = 'edit-wins' | 'delete-wins' | 'calendar-wins' | 'remote-wins' | 'ask';

export interface MergePolicy {
  mode: PolicyMode;
  /** Per-field rules that replace the mode's rule, e.g. `{ description: 'ask' }`. */
  fields: Partial<Record<MergeField, FieldRule>>;
  editVsDelete: EditVsDeleteRule;
}

const MODE_RULE: Record<PolicyMode, FieldRule> = {
  default: 'latest',
  manual: 'ask',
  'calendar-wins': 'calendar',
  'remote-wins': 'remote',
};

// Edit-vs-delete follows the authority in the one-way modes; elsewhere an edit restores
// the event, since a deleted copy is recoverable from a tombstone and a lost edit is not.
const MODE_EDIT_VS_DELETE: Record<PolicyMode, EditVsDeleteRule> = {
  default: 'edit-wins',
  manual: 'ask',
  'calendar-wins': 'calendar-wins',
  'remote-wins': 'remote-wins',
};

const FIELD_RULES: readonly FieldRule[] = ['latest', 'ask', 'calendar', 'remote'];
const EDIT_VS_DELETE_RULES: readonly EditVsDeleteRule[] = ['edit-wins', 'delete-wins', 'calendar-wins', 'remote-wins', 'ask'];

export const defaultPolicy: MergePolicy = Object.freeze({ mode: 'default', fields: Object.freeze({}), editVsDelete: 'edit-wins' });

/**
 * A policy from stored or user-given data (a binding's `conflict_policy` column): checks
 * every member and fills what is left out from the mode. Throws INVALID_POLICY.
 */
export function parsePolicy(input: unknown): MergePolicy {
  if (input === null || input === undefined) return defaultPolicy;
  if (typeof input === 'string') input = { mode: input };
  if (!isPlainObject(input)) throw new CoreError('INVALID_POLICY', 'a policy is an object or a mode name', 'policy');
  const raw = { ...input };
  // The schema's column default spells the mode as its rule: `{"default": "latest"}`.
  if ('default' in raw) {
    const mode = Object.entries(MODE_RULE).find(([, rule]) => rule === raw.default)?.[0];
    if (!mode || 'mode' in raw) {
      throw new CoreError('INVALID_POLICY', `default must be one of ${FIELD_RULES.join(', ')} and not given with mode`, 'policy.default');
    }
    delete raw.default;
    raw.mode = mode;
  }
  for (const key of Object.keys(raw)) {
    if (!['mode', 'fields', 'editVsDelete'].includes(key)) {
      throw new CoreError('INVALID_POLICY', `unknown policy member ${JSON.stringify(key)}`, `policy.${key}`);
    }
  }
  const mode = raw.mode ?? 'default';
  if (!(typeof mode === 'string' && Object.hasOwn(MODE_RULE, mode))) {
    throw new CoreError('INVALID_POLICY', `mode must be one of ${Object.keys(MODE_RULE).join(', ')}`, 'policy.mode');
  }
  const fields: Partial<Record<MergeField, FieldRule>> = {};
  const rawFields = raw.fields ?? {};
  if (!isPlainObject(rawFields)) {
    throw new CoreError('INVALID_POLICY', 'fields must be an object of field: rule', 'policy.fields');
  }
  for (const [field, rule] of Object.entries(rawFields)) {
    if (!(MERGE_FIELDS as readonly string[]).includes(field)) {
      throw new CoreError('INVALID_POLICY', `unknown field; fields are ${MERGE_FIELDS.join(', ')}`, `policy.fields.${field}`);
    }
    if (!FIELD_RULES.includes(rule as FieldRule)) {
      throw new CoreError('INVALID_POLICY', `rule must be one of ${FIELD_RULES.join(', ')}`, `policy.fields.${field}`);
    }
    fields[field as MergeField] = rule as FieldRule;
  }
  const editVsDelete = raw.editVsDelete ?? MODE_EDIT_VS_DELETE[mode as PolicyMode];
  if (!EDIT_VS_DELETE_RULES.includes(editVsDelete as EditVsDeleteRule)) {
    throw new CoreError('INVALID_POLICY', `editVsDelete must be one of ${EDIT_VS_DELETE_RULES.join(', ')}`, 'policy.editVsDelete');
  }
  return { mode: mode as PolicyMode, fields, editVsDelete: editVsDelete as EditVsDeleteRule };
}

/** The rule that settles a same-field change of `field`. */
export function ruleFor(policy: MergePolicy, field: MergeField): FieldRule {
  if (!FIELD_SET.has(field)) throw new CoreError('INVALID_POLICY', `unknown field; fields are ${MERGE_FIELDS.join(', ')}`, 'field');
  const rule = checkParsed(policy).fields[field] ?? MODE_RULE[policy.mode];
  if (!FIELD_RULES.includes(rule)) throw new CoreError('INVALID_POLICY', `rule must be one of ${FIELD_RULES.join(', ')}`, `policy.fields.${field}`);
  return rule;
}

/** The audit name of a rule: `policy-mode/field-rule`, e.g. `default/latest`. */
export function ruleName(policy: MergePolicy, field: MergeField): string {
  const rule = ruleFor(policy, field);
  return policy.fields[field] ? `field:${field}=${rule}` : `${policy.mode}/${rule}`;
}

/** Who wins an edit on `edited` against a delete on the other side: 'edit', 'delete' or 'ask'. */
export function editVsDeleteOutcome(policy: MergePolicy, edited: Side): 'edit' | 'delete' | 'ask' {
  oneOfArgument(edited, SIDES, 'edited');
  switch (checkParsed(policy).editVsDelete) {
    case 'edit-wins': return 'edit';
    case 'delete-wins': return 'delete';
    case 'ask': return 'ask';
    case 'calendar-wins': return edited === 'calendar' ? 'edit' : 'delete';
    case 'remote-wins': return edited === 'remote' ? 'edit' : 'delete';
    default: throw new CoreError('INVALID_POLICY', `editVsDelete must be one of ${EDIT_VS_DELETE_RULES.join(', ')}`, 'policy.editVsDelete');
  }
}

/** A policy as parsePolicy returns it, checked cheaply: these run once per merged field. */
function checkParsed(policy: MergePolicy): MergePolicy {
  if (!isPlainObject(policy) || typeof policy.mode !== 'string' || !Object.hasOwn(MODE_RULE, policy.mode) || !isPlainObject(policy.fields)) {
    throw new CoreError('INVALID_POLICY', 'expected a policy from parsePolicy', 'policy');
  }
  return policy;
}

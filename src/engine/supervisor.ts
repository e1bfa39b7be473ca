/**
 * Which processes supervise: the one rule behind \`tree_at.is_supervisor\` (sql/system-at.ts), the Timeline's lane
 * groups (views/timeline.ts) and the process tree's badge (ui/views/process-tree), so the three never disagree.
 *
 * A process supervises when its behaviour says so, never its name (a GenServer registered as
 * \`MyApp.SupervisorClient\` or \`MyApp.WatchSupervisor\` supervises nothing): a recorded child type \`supervisor\`, an
 * initial call into \`:supervisor\` or \`:supervisor_bridge\` (proc_lib's \`$initial_call\` for any module that is
 * \`use Supervisor\` or of the \`:supervisor\` behaviour: \`:supervisor."Elixir.MyApp.Supervisor"/1\`,
 * \`:supervisor.kernel/1\`; Elixir's DynamicSupervisor puts one too), or a callback module among SUPERVISOR_MODULES.
 */

/**
 * Callback modules of processes that supervise (docs/SCHEMA.md \`processes.module\`): Erlang's, and Elixir's
 * module-less supervisors (\`Supervisor.start_link/2\`, \`DynamicSupervisor\` — also behind \`Task.Supervisor\` and any
 * \`use DynamicSupervisor\` module — and \`PartitionSupervisor\`), whose initial call names no \`:supervisor\` when the
 * recorder read it from their spawn (started, and exited, while recorded: \`DynamicSupervisor.init/1\`).
 */
export const SUPERVISOR_MODULES: readonly string[] = [
  ':supervisor',
  ':supervisor_bridge',
  'Supervisor',
  'Supervisor.Default',
  'DynamicSupervisor',
  'PartitionSupervisor',
];

/** What the rule reads of a process (docs/SCHEMA.md \`processes\`). */
export interface SupervisorFacts {
  childType: string | null;
  module: string | null;
  initialCall: string | null;
}

/** Whether the process supervises (see the module doc). */
export function isSupervisor(p: SupervisorFacts): boolean {
  return p.childType === 'supervisor' || SUPERVISOR_MODULES.includes(p.module ?? '') || /^:supervisor(_bridge)?\./.test(p.initialCall ?? '');
}

/** The same rule as a SQL expression over a row's \`child_type\`, \`module\` and \`initial_call\` (\`a.\`: prefix), never NULL. */
export function isSupervisorSql(prefix = ''): string {
  const modules = SUPERVISOR_MODULES.map((m) => `'${m}'`).join(', ');
  return `coalesce(${prefix}child_type = 'supervisor' OR ${prefix}module IN (${modules}) OR ${prefix}initial_call LIKE ':supervisor.%' OR ${prefix}initial_call LIKE ':supervisor_bridge.%', false)`;
}

import type { Command } from 'commander';
import { withKeel } from '../connect.js';
import { fmtTime, printJson, printTable } from '../output.js';

const VIEW = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' } as const;

/** `keel experiments ls`: every page of the search, as a table or JSON. */
export async function run(
  opts: { filter?: string; view: keyof typeof VIEW; json?: boolean },
  cmd: Command,
): Promise<void> {
  await withKeel(cmd, async ({ keel }) => {
    const all = [];
    let pageToken: string | undefined;
    do {
      const page = await keel.experiments.list({
        filter: opts.filter,
        viewType: VIEW[opts.view],
        maxResults: 1000,
        pageToken,
      });
      all.push(...page.experiments);
      pageToken = page.nextPageToken;
    } while (pageToken);
    if (opts.json) return printJson(all);
    printTable(
      ['id', 'name', 'stage', 'created', 'tags'],
      all.map((e) => [
        e.experimentId,
        e.name,
        e.lifecycleStage,
        fmtTime(e.creationTime),
        e.tags.map((t) => `${t.key}=${t.value}`).join(' '),
      ]),
    );
  });
}

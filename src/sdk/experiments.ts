import type { Experiment, Tag, ViewType } from '../tracking/types.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

export interface ExperimentList {
  experiments: Experiment[];
  /** Pass back as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

export interface ListExperimentsOptions {
  /** MLflow filter syntax, e.g. `name LIKE 'credit%' AND tags.team = 'risk'`. */
  filter?: string;
  /** e.g. `['name ASC']`; default: most recently updated first. */
  orderBy?: string[];
  viewType?: ViewType;
  maxResults?: number;
  pageToken?: string;
}

const base = '/api/v1/experiments';

/** `keel.experiments`: create, read, search, rename, delete/restore and tag experiments. */
export class Experiments {
  constructor(private readonly api: Api) {}

  /** Creates an experiment; its name must be unused. */
  create(input: { name: string; tags?: Tag[] }): Promise<Experiment> {
    return this.api.json({ method: 'POST', path: base, json: input });
  }

  /** Gets an experiment by id (deleted ones too). */
  get(id: string): Promise<Experiment> {
    return this.api.json({ method: 'GET', path: `${base}/${seg(id)}` });
  }

  /** Gets an experiment by its unique name. */
  getByName(name: string): Promise<Experiment> {
    return this.api.json({ method: 'GET', path: `${base}/by-name/${seg(name)}` });
  }

  /** One page of experiments matching the options. */
  list(opts: ListExperimentsOptions = {}): Promise<ExperimentList> {
    return this.api.json({ method: 'GET', path: base, query: { ...opts } });
  }

  /** Renames an active experiment and returns it. */
  rename(id: string, name: string): Promise<Experiment> {
    return this.api.json({ method: 'PATCH', path: `${base}/${seg(id)}`, json: { name } });
  }

  /** Soft-deletes an experiment and its runs. */
  async delete(id: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${base}/${seg(id)}` });
  }

  /** Restores a soft-deleted experiment and its runs. */
  async restore(id: string): Promise<void> {
    await this.api.json({ method: 'POST', path: `${base}/${seg(id)}/restore` });
  }

  /** Sets (or overwrites) an experiment tag. */
  async setTag(id: string, key: string, value: string): Promise<void> {
    await this.api.json({ method: 'PUT', path: `${base}/${seg(id)}/tags/${seg(key)}`, json: { value } });
  }

  /** Deletes an experiment tag (an error if it does not exist). */
  async deleteTag(id: string, key: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `${base}/${seg(id)}/tags/${seg(key)}` });
  }
}

import type { AlertChannel, NewChannel } from '../monitoring/alerts/channels.js';
import type { AlertDelivery, DeliveryStatus } from '../monitoring/alerts/deliveries.js';
import type { Api } from './api.js';
import { seg } from './codec.js';

export type { AlertChannel, ChannelKind, NewChannel } from '../monitoring/alerts/channels.js';
export type { AlertDelivery, DeliveryAttempt, DeliveryStatus } from '../monitoring/alerts/deliveries.js';
export type { AlertEvent, AlertEventKind, AlertEventPayload } from '../monitoring/types.js';

/** `keel.alerts.channels`: where alert events go (the built-in server log `log`, webhooks). */
export class AlertChannels {
  constructor(private readonly api: Api) {}

  /** Creates a channel; a webhook's `secret` (for X-Keel-Signature) is in this answer only. */
  create(input: NewChannel): Promise<AlertChannel> {
    return this.api.json({ method: 'POST', path: '/api/v1/alert-channels', json: input });
  }

  /** Every channel, `log` first; secrets redacted. */
  async list(): Promise<AlertChannel[]> {
    return (
      await this.api.json<{ channels: AlertChannel[] }>({ method: 'GET', path: '/api/v1/alert-channels' })
    ).channels;
  }

  get(name: string): Promise<AlertChannel> {
    return this.api.json({ method: 'GET', path: `/api/v1/alert-channels/${seg(name)}` });
  }

  /** Deletes a channel; refused while a monitor's rule notifies it. */
  async delete(name: string): Promise<void> {
    await this.api.json({ method: 'DELETE', path: `/api/v1/alert-channels/${seg(name)}` });
  }
}

/** `keel.alerts.deliveries`: the webhook delivery log. */
export class AlertDeliveries {
  constructor(private readonly api: Api) {}

  /** Deliveries newest first, with every attempt's status code or error. */
  async list(
    opts: { monitor?: string; status?: DeliveryStatus; eventId?: number; limit?: number } = {},
  ): Promise<AlertDelivery[]> {
    return (
      await this.api.json<{ deliveries: AlertDelivery[] }>({
        method: 'GET',
        path: '/api/v1/alert-deliveries',
        query: { ...opts },
      })
    ).deliveries;
  }

  /** Queues a failed delivery again for a new round of attempts. */
  retry(id: number): Promise<AlertDelivery> {
    return this.api.json({ method: 'POST', path: `/api/v1/alert-deliveries/${id}/retry`, json: {} });
  }
}

/** `keel.alerts`: alert channels and webhook deliveries. */
export class Alerts {
  readonly channels: AlertChannels;
  readonly deliveries: AlertDeliveries;

  constructor(api: Api) {
    this.channels = new AlertChannels(api);
    this.deliveries = new AlertDeliveries(api);
  }
}

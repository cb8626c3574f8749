/** The client libraries the data path can run on: the end-to-end tests run once per name. */
import { dataClients, type DataClientName } from '../../src/broker/data-clients.ts';

export const dataClientNames = Object.keys(dataClients) as DataClientName[];

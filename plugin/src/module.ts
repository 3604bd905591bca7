/** Wires the data source and its editors into the plugin Grafana loads. */
import './public-path';
import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { NfscopeOptions, NfscopeQuery, NfscopeSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, NfscopeQuery, NfscopeOptions, NfscopeSecureOptions>(DataSource).setConfigEditor(ConfigEditor).setQueryEditor(QueryEditor);

/**
 * Template-variable support: Grafana calls query() with the variable's
 * NfscopeVariableQuery and offers the values it answers (one `text` field).
 */
import { CustomVariableSupport, FieldType, createDataFrame, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import { from, map, type Observable } from 'rxjs';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import type { NfscopeVariableQuery } from './types';

export class NfscopeVariableSupport extends CustomVariableSupport<DataSource, NfscopeVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly ds: DataSource) {
    super();
  }

  query(request: DataQueryRequest<NfscopeVariableQuery>): Observable<DataQueryResponse> {
    const q = request.targets[0] ?? { refId: 'A', kind: 'nfs' };
    return from(this.ds.variableValues(q, request.range, request.scopedVars)).pipe(
      map((values) => ({
        data: [createDataFrame({ refId: q.refId, fields: [{ name: 'text', type: FieldType.string, values }] })],
      })),
    );
  }
}

-- wrk script: POST the fields benchmark's body (bench.FieldJSON) to /v1/fields/title.
wrk.method = "POST"
wrk.body = '{"kind":"TYPE_STRING","cardinality":"CARDINALITY_OPTIONAL","number":3,"typeUrl":"type.googleapis.com/x.Y","oneofIndex":1,"packed":true,"jsonName":"displayName","defaultValue":"none"}'
wrk.headers["Content-Type"] = "application/json"

-- wrk script: POST the benchmark's JSON body to /echo.
wrk.method = "POST"
wrk.body = '{"text":"hello gox","count":3,"tags":["a","b","c"]}'
wrk.headers["Content-Type"] = "application/json"

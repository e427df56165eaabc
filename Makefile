# Shortcuts; the scripts are the source of truth and need no make.
.PHONY: demo test e2e bench load

demo:        ## scaffold a service and run it on embedded defaults
	bash scripts/quickstart.sh

test:        ## the whole suite, as CI runs it
	bash scripts/test.sh

e2e:         ## only the end-to-end script
	bash ci/e2e.sh

bench:       ## Go benchmarks (chain, HTTP, gRPC) side by side
	cd bench && go test -run '^$$' -bench . -benchmem -count 5 .

load:        ## load comparison with wrk and grpcload, pinned to separate cores
	bash bench/load.sh 10 3

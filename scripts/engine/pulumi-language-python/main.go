// A small Python language host for the Pulumi engine, built by scripts/pulumi-from-source.sh.
//
// Pulumi's own host (module sdk/python/cmd/pulumi-language-python/v3) is not published in
// a form the Go module proxy serves, so envkeeper's engine tests run on this one. It keeps
// to what those runs need and leaves every decision that matters to the code it drives:
//   - Run starts the Python SDK's own `pulumi-language-python-exec` with the engine's
//     arguments and config, through the SDK's own toolchain resolution (uv, pip, venv);
//   - RunPlugin starts policy packs (`python -m pulumi.policy`) behind the SDK's policy
//     proxy, which hands the stack's config to the pack, as Pulumi's host does;
//   - plugins are not discovered: the build script installs the ones the tests use, and
//     the engine asks nothing to be downloaded.
//
// Everything else answers "unimplemented", which the engine treats as "not supported".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The SDK's entry point for programs, installed next to this binary by the build script.
const execScript = "pulumi-language-python-exec"

// What the Python SDK exits with after it has already shown the user an actionable error.
const exitAfterUserMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	exec          string
	engineAddress string
	cancel        context.Context
	stop          context.CancelFunc
}

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.String("tracing", "", "accepted for compatibility; tracing is not emitted")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}

	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	script := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(script); err != nil {
		fail(fmt.Errorf("missing %s next to the language host: %w", execScript, err))
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	h := &host{exec: script}
	h.cancel, h.stop = context.WithCancel(context.Background())
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
			fail(err)
		}
	}

	done := make(chan bool)
	go func() { <-ctx.Done(); close(done) }()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: done,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fail(err)
	}
	// The engine reads the port from the first line we print.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
	os.Exit(1)
}

func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.EngineAddress
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *host) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.stop()
	return &emptypb.Empty{}, nil
}

// toolchainFor resolves the project's Python the way the SDK does: `virtualenv` and
// `toolchain` runtime options, else uv when a uv.lock is found, else pip.
func toolchainFor(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.Toolchain, error) {
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	options := info.GetOptions().AsMap()
	if v, ok := options["virtualenv"].(string); ok {
		opts.Virtualenv = v
	}
	switch options["toolchain"] {
	case "uv":
		opts.Toolchain = toolchain.Uv
	case "pip":
		opts.Toolchain = toolchain.Pip
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	case nil:
	default:
		return nil, fmt.Errorf("unsupported toolchain option %v", options["toolchain"])
	}
	if isPlugin && opts.Virtualenv == "" && opts.Toolchain != toolchain.Uv && opts.Toolchain != toolchain.Poetry {
		opts.Virtualenv = "venv" // plugins never run in the ambient Python
	}
	return toolchain.ResolveToolchain(opts)
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	tc, err := toolchainFor(req.Info, false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	args := []string{h.exec}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("project", req.GetProject())
	flagArg("root_directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	args = append(args, req.GetArgs()...)

	runCtx, cancel := context.WithCancel(h.cancel)
	defer cancel()
	context.AfterFunc(ctx, cancel)
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	// The SDK reads the stack's config and which keys are secret from these two variables.
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))

	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitAfterUserMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python program: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := server.Context()
	analyzer := req.Kind == string(apitype.AnalyzerPlugin)
	tc, err := toolchainFor(req.Info, !analyzer)
	if err != nil {
		return err
	}
	var cmd *exec.Cmd
	if analyzer {
		// A policy pack: the engine's address first, the pack's folder last.
		args := append([]string{"-u", "-m", "pulumi.policy"}, req.Args...)
		cmd, err = tc.Command(ctx, append(args, req.Info.ProgramDirectory)...)
	} else {
		cmd, err = tc.Command(ctx, append([]string{req.Info.ProgramDirectory}, req.Args...)...)
	}
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}

	var proxy *sdk.PolicyProxy
	if analyzer {
		// Policy packs run in their own folder and read the stack's config from the
		// environment; the proxy learns it from the engine before the pack starts.
		cmd.Dir = req.Info.ProgramDirectory
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return err
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return err
		}
		if stack != nil {
			config, err := json.Marshal(stack.Config)
			if err != nil {
				return err
			}
			cmd.Env = append(cmd.Env,
				"PULUMI_ORGANIZATION="+stack.Organization, "PULUMI_PROJECT="+stack.Project,
				"PULUMI_STACK="+stack.Stack, "PULUMI_DRY_RUN="+strconv.FormatBool(stack.DryRun),
				"PULUMI_CONFIG="+string(config))
		}
	} else {
		cmd.Dir = req.Pwd
	}
	cmd.Env = append(cmd.Env, req.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start the Python plugin: %w", err)
	}
	if proxy != nil {
		if err := proxy.Attach(ctx, cmd); err != nil {
			return err
		}
		return closer.Close()
	}
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if status, ok := exit.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(status.ExitStatus())},
				})
			}
		}
		return err
	}
	return closer.Close()
}

// nfscope native binding: a thin N-API layer over the system libbpf.
//
// Only exporter/src/kernel/bpf.ts calls into this module. It keeps no policy:
// objects, programs, links and maps are handed to JavaScript as wrappers or file
// descriptors, and every failure becomes a JS Error carrying `errno`, `code`
// and the messages libbpf printed during the failing call (the verifier log
// among them when a program is rejected).

#include <napi.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

// tcx attach types (Linux 6.6); the uapi headers libbpf 1.1 ships predate them.
constexpr int kTcxIngress = 46;
constexpr int kTcxEgress = 47;

// What libbpf printed since the current call began.
std::string g_libbpf_log;

int CaptureLibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  // One message can be the whole verifier log (libbpf prints it in one call):
  // format it whole, so that its tail, which says why, is kept below.
  va_list again;
  va_copy(again, args);
  char buf[4096];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  if (n >= (int)sizeof(buf)) {
    std::string big(n + 1, '\0');
    vsnprintf(&big[0], big.size(), fmt, again);
    g_libbpf_log.append(big.data(), n);
  } else if (n > 0) {
    g_libbpf_log.append(buf, n);
  }
  va_end(again);
  // Keep the log bounded: a verifier log can be megabytes; its tail says why.
  constexpr size_t kMaxLog = 64 * 1024;
  if (g_libbpf_log.size() > kMaxLog) g_libbpf_log.erase(0, g_libbpf_log.size() - kMaxLog);
  return 0;
}

void BeginCall() { g_libbpf_log.clear(); }

const char* ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ENOTSUP: return "ENOTSUP";
    case ESRCH: return "ESRCH";
    case ENXIO: return "ENXIO";
    default: return "E?";
  }
}

// Throws a JS Error for a negative libbpf return value or errno.
Napi::Value ThrowErr(Napi::Env env, const std::string& what, int err) {
  if (err < 0) err = -err;
  char msg[256];
  libbpf_strerror(err, msg, sizeof(msg));
  std::string text = what + ": " + msg;
  Napi::Error e = Napi::Error::New(env, text);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("libbpfLog", Napi::String::New(env, g_libbpf_log));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const std::string& text) {
  Napi::TypeError::New(env, text).ThrowAsJavaScriptException();
  return env.Undefined();
}

// ---------------------------------------------------------------- links

// A link is either a libbpf link (tracing programs), a raw link fd (tcx), or a
// classic tc filter on a clsact hook (kernels without tcx).
class Link : public Napi::ObjectWrap<Link> {
 public:
  static Napi::FunctionReference ctor;

  static void Init(Napi::Env env) {
    Napi::Function f =
        DefineClass(env, "Link",
                    {InstanceMethod("detach", &Link::Detach), InstanceMethod("disown", &Link::Disown),
                     InstanceAccessor("fd", &Link::Fd, nullptr), InstanceAccessor("kind", &Link::Kind, nullptr),
                     InstanceAccessor("attached", &Link::Attached, nullptr)});
    ctor = Napi::Persistent(f);
  }

  explicit Link(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Link>(info) {}
  ~Link() override { Release(); }

  static Napi::Object FromLibbpf(Napi::Env env, struct bpf_link* l) {
    Napi::Object o = ctor.New({});
    Link* self = Unwrap(o);
    self->kind_ = "libbpf";
    self->link_ = l;
    return o;
  }
  static Napi::Object FromFd(Napi::Env env, int fd) {
    Napi::Object o = ctor.New({});
    Link* self = Unwrap(o);
    self->kind_ = "tcx";
    self->fd_ = fd;
    return o;
  }
  static Napi::Object FromTc(Napi::Env env, const bpf_tc_hook& hook, uint32_t handle, uint32_t prio) {
    Napi::Object o = ctor.New({});
    Link* self = Unwrap(o);
    self->kind_ = "clsact";
    self->hook_ = hook;
    self->tc_handle_ = handle;
    self->tc_prio_ = prio;
    self->tc_attached_ = true;
    return o;
  }

 private:
  int Release() {
    int err = 0;
    if (link_) {
      err = bpf_link__destroy(link_);
      link_ = nullptr;
    }
    if (fd_ >= 0) {
      if (close(fd_) < 0) err = -errno;
      fd_ = -1;
    }
    if (tc_attached_) {
      DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = tc_handle_, .priority = tc_prio_);
      err = bpf_tc_detach(&hook_, &opts);
      // Already gone (interface deleted) counts as detached.
      if (err == -ENOENT || err == -ENODEV || err == -EINVAL) err = 0;
      tc_attached_ = false;
    }
    return err;
  }

  Napi::Value Detach(const Napi::CallbackInfo& info) {
    BeginCall();
    int err = Release();
    if (err < 0) return ThrowErr(info.Env(), "detach " + kind_ + " link", err);
    return info.Env().Undefined();
  }
  // disown(): lets go of the attachment without ending it: a pinned link stays
  // (its pin holds it), a clsact filter stays on its hook. The fd is closed.
  Napi::Value Disown(const Napi::CallbackInfo& info) {
    if (link_) {
      bpf_link__disconnect(link_);
      bpf_link__destroy(link_);
      link_ = nullptr;
    }
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    tc_attached_ = false;
    return info.Env().Undefined();
  }
  // fd: the link's file descriptor (to pin it), -1 for a clsact filter or once released.
  Napi::Value Fd(const Napi::CallbackInfo& info) {
    int fd = link_ ? bpf_link__fd(link_) : fd_;
    return Napi::Number::New(info.Env(), fd);
  }
  Napi::Value Kind(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kind_); }
  Napi::Value Attached(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), link_ != nullptr || fd_ >= 0 || tc_attached_);
  }

  std::string kind_;
  struct bpf_link* link_ = nullptr;
  int fd_ = -1;
  bpf_tc_hook hook_ = {};
  uint32_t tc_handle_ = 0, tc_prio_ = 0;
  bool tc_attached_ = false;
};
Napi::FunctionReference Link::ctor;

// ---------------------------------------------------------------- objects

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "BpfObject",
        {InstanceMethod("setGlobal", &BpfObject::SetGlobal), InstanceMethod("reuseMap", &BpfObject::ReuseMap),
         InstanceMethod("load", &BpfObject::Load), InstanceMethod("programs", &BpfObject::Programs),
         InstanceMethod("maps", &BpfObject::Maps), InstanceMethod("attach", &BpfObject::Attach),
         InstanceMethod("attachTracepoint", &BpfObject::AttachTracepoint),
         InstanceMethod("attachKprobe", &BpfObject::AttachKprobe), InstanceMethod("close", &BpfObject::Close)});
  }

  // new BpfObject(path): opens (parses) the ELF object; nothing reaches the kernel yet.
  explicit BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      ThrowType(env, "BpfObject(path): path must be a string");
      return;
    }
    std::string path = info[0].As<Napi::String>();
    BeginCall();
    struct bpf_object* o = bpf_object__open_file(path.c_str(), nullptr);
    int err = libbpf_get_error(o);
    if (err) {
      ThrowErr(env, "open BPF object " + path, err);
      return;
    }
    obj_ = o;
  }
  ~BpfObject() override { Free(); }

 private:
  void Free() {
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
  }

  bool Check(Napi::Env env) {
    if (obj_) return true;
    Napi::Error::New(env, "BPF object is closed").ThrowAsJavaScriptException();
    return false;
  }

  struct bpf_program* FindProg(Napi::Env env, const Napi::Value& v) {
    if (!v.IsString()) {
      ThrowType(env, "program name must be a string");
      return nullptr;
    }
    std::string name = v.As<Napi::String>();
    struct bpf_program* p = bpf_object__find_program_by_name(obj_, name.c_str());
    if (!p) ThrowErr(env, "no program '" + name + "' in " + bpf_object__name(obj_), ENOENT);
    return p;
  }

  // setGlobal(name, buffer): sets a `const volatile` global (.rodata) or a
  // .data/.bss global before load; the buffer must match the variable's size.
  Napi::Value SetGlobal(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer())
      return ThrowType(env, "setGlobal(name: string, value: Buffer)");
    std::string name = info[0].As<Napi::String>();
    auto value = info[1].As<Napi::Buffer<uint8_t>>();
    BeginCall();
    const struct btf* btf = bpf_object__btf(obj_);
    if (!btf) return ThrowErr(env, "setGlobal " + name + ": object has no BTF", ENOENT);
    for (const char* sec : {".rodata", ".data", ".bss"}) {
      int sec_id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
      if (sec_id < 0) continue;
      const struct btf_type* t = btf__type_by_id(btf, sec_id);
      const struct btf_var_secinfo* vs = btf_var_secinfos(t);
      for (int i = 0; i < btf_vlen(t); i++, vs++) {
        const struct btf_type* var = btf__type_by_id(btf, vs->type);
        if (name != btf__name_by_offset(btf, var->name_off)) continue;
        if (vs->size != value.Length())
          return ThrowErr(env,
                          "setGlobal " + name + ": variable has " + std::to_string(vs->size) + " bytes, value has " +
                              std::to_string(value.Length()),
                          EINVAL);
        struct bpf_map* map = bpf_object__find_map_by_name(obj_, sec);
        if (!map) return ThrowErr(env, std::string("setGlobal ") + name + ": no map for " + sec, ENOENT);
        size_t size = 0;
        const void* cur = bpf_map__initial_value(map, &size);
        if (!cur || vs->offset + vs->size > size)
          return ThrowErr(env, "setGlobal " + name + ": section data unavailable", EINVAL);
        std::vector<uint8_t> data((const uint8_t*)cur, (const uint8_t*)cur + size);
        memcpy(data.data() + vs->offset, value.Data(), vs->size);
        int err = bpf_map__set_initial_value(map, data.data(), size);
        if (err) return ThrowErr(env, "setGlobal " + name, err);
        return env.Undefined();
      }
    }
    return ThrowErr(env, "setGlobal: no global variable '" + name + "'", ENOENT);
  }

  // reuseMap(name, fd): use an existing kernel map instead of creating one at load.
  Napi::Value ReuseMap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
      return ThrowType(env, "reuseMap(name: string, fd: number)");
    std::string name = info[0].As<Napi::String>();
    BeginCall();
    struct bpf_map* m = bpf_object__find_map_by_name(obj_, name.c_str());
    if (!m) return ThrowErr(env, "reuseMap: no map '" + name + "'", ENOENT);
    int err = bpf_map__reuse_fd(m, info[1].As<Napi::Number>().Int32Value());
    if (err) return ThrowErr(env, "reuseMap " + name, err);
    return env.Undefined();
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    BeginCall();
    int err = bpf_object__load(obj_);
    if (err) return ThrowErr(env, std::string("load BPF object ") + bpf_object__name(obj_), err);
    return env.Undefined();
  }

  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    Napi::Array arr = Napi::Array::New(env);
    struct bpf_program* p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, obj_) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(p));
      o.Set("section", bpf_program__section_name(p));
      o.Set("type", libbpf_bpf_prog_type_str(bpf_program__type(p)));
      o.Set("fd", bpf_program__fd(p));
      arr.Set(i++, o);
    }
    return arr;
  }

  Napi::Value Maps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    Napi::Array arr = Napi::Array::New(env);
    struct bpf_map* m;
    uint32_t i = 0;
    bpf_object__for_each_map(m, obj_) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_map__name(m));
      o.Set("type", libbpf_bpf_map_type_str(bpf_map__type(m)));
      o.Set("keySize", bpf_map__key_size(m));
      o.Set("valueSize", bpf_map__value_size(m));
      o.Set("maxEntries", bpf_map__max_entries(m));
      o.Set("internal", bpf_map__is_internal(m));
      o.Set("fd", bpf_map__fd(m));
      arr.Set(i++, o);
    }
    return arr;
  }

  Napi::Value AttachResult(Napi::Env env, const std::string& what, struct bpf_link* l) {
    int err = libbpf_get_error(l);
    if (err) return ThrowErr(env, what, err);
    return Link::FromLibbpf(env, l);
  }

  // attach(program): attach by section name (tp_btf/, fentry/, kprobe/, tracepoint/ …).
  Napi::Value Attach(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    BeginCall();
    struct bpf_program* p = FindProg(env, info[0]);
    if (!p) return env.Undefined();
    return AttachResult(env, std::string("attach ") + bpf_program__name(p), bpf_program__attach(p));
  }

  Napi::Value AttachTracepoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (info.Length() < 3 || !info[1].IsString() || !info[2].IsString())
      return ThrowType(env, "attachTracepoint(program, category, name)");
    BeginCall();
    struct bpf_program* p = FindProg(env, info[0]);
    if (!p) return env.Undefined();
    std::string cat = info[1].As<Napi::String>(), name = info[2].As<Napi::String>();
    return AttachResult(env, "attach tracepoint " + cat + ":" + name,
                        bpf_program__attach_tracepoint(p, cat.c_str(), name.c_str()));
  }

  Napi::Value AttachKprobe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Check(env)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsString()) return ThrowType(env, "attachKprobe(program, func, retprobe?)");
    BeginCall();
    struct bpf_program* p = FindProg(env, info[0]);
    if (!p) return env.Undefined();
    std::string fn = info[1].As<Napi::String>();
    bool ret = info.Length() > 2 && info[2].ToBoolean();
    return AttachResult(env, std::string(ret ? "attach kretprobe " : "attach kprobe ") + fn,
                        bpf_program__attach_kprobe(p, ret, fn.c_str()));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Free();
    return info.Env().Undefined();
  }

  struct bpf_object* obj_ = nullptr;
};

// ---------------------------------------------------------------- tc

// tcAttach(progFd, ifindex, "ingress"|"egress", {handle, priority}) -> Link.
// Uses a tcx link where the kernel has one (appended after existing programs;
// released when its fd closes, also when the process dies). Otherwise a classic
// direct-action filter on the clsact qdisc at a fixed handle and priority,
// replaced in place, so a restart after a crash does not add a second copy;
// the clsact qdisc is created if missing and never deleted (others may use it).
Napi::Value TcAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString())
    return ThrowType(env, "tcAttach(progFd, ifindex, 'ingress'|'egress', {handle, priority}?)");
  int prog_fd = info[0].As<Napi::Number>().Int32Value();
  int ifindex = info[1].As<Napi::Number>().Int32Value();
  std::string dir = info[2].As<Napi::String>();
  if (dir != "ingress" && dir != "egress") return ThrowType(env, "direction must be 'ingress' or 'egress'");
  bool ingress = dir == "ingress";
  uint32_t handle = 0x6e66, prio = 0x6e66;  // "nf"
  bool allow_tcx = true;
  if (info.Length() > 3 && info[3].IsObject()) {
    Napi::Object o = info[3].As<Napi::Object>();
    if (o.Has("handle")) handle = o.Get("handle").As<Napi::Number>().Uint32Value();
    if (o.Has("priority")) prio = o.Get("priority").As<Napi::Number>().Uint32Value();
    if (o.Has("tcx")) allow_tcx = o.Get("tcx").ToBoolean();
  }
  std::string what = "attach tc " + dir + " on ifindex " + std::to_string(ifindex);
  BeginCall();
  if (allow_tcx) {
    int fd = bpf_link_create(prog_fd, ifindex, (enum bpf_attach_type)(ingress ? kTcxIngress : kTcxEgress), nullptr);
    if (fd >= 0) return Link::FromFd(env, fd);
    int err = -fd;
    // EINVAL: this kernel does not know tcx; anything else is a real failure.
    if (err != EINVAL) return ThrowErr(env, what + " (tcx)", err);
  }
  DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) return ThrowErr(env, what + " (create clsact)", err);
  DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE, .handle = handle,
                      .priority = prio);
  err = bpf_tc_attach(&hook, &opts);
  if (err) return ThrowErr(env, what + " (clsact)", err);
  return Link::FromTc(env, hook, handle, prio);
}

// objPin(fd, path): pins a program, map or link in a bpf file system.
Napi::Value ObjPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString()) return ThrowType(env, "objPin(fd, path)");
  std::string path = info[1].As<Napi::String>();
  BeginCall();
  if (bpf_obj_pin(info[0].As<Napi::Number>().Int32Value(), path.c_str()) != 0)
    return ThrowErr(env, "pin " + path, errno);
  return env.Undefined();
}

// objGet(path) -> fd of a pinned program, map or link (ENOENT when nothing is pinned there).
Napi::Value ObjGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return ThrowType(env, "objGet(path)");
  std::string path = info[0].As<Napi::String>();
  BeginCall();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return ThrowErr(env, "open pinned " + path, errno);
  return Napi::Number::New(env, fd);
}

// mapInfo(fd) -> { name, type, keySize, valueSize, maxEntries }: what BpfObject.maps() gives of a loaded map.
Napi::Value MapInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "mapInfo(fd)");
  struct bpf_map_info mi = {};
  __u32 len = sizeof(mi);
  BeginCall();
  if (bpf_obj_get_info_by_fd(info[0].As<Napi::Number>().Int32Value(), &mi, &len) != 0)
    return ThrowErr(env, "map info", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", std::string(mi.name));
  const char* type = libbpf_bpf_map_type_str((enum bpf_map_type)mi.type);
  o.Set("type", type ? type : "unknown");
  o.Set("keySize", mi.key_size);
  o.Set("valueSize", mi.value_size);
  o.Set("maxEntries", mi.max_entries);
  return o;
}

// linkUpdate(linkFd, progFd): the link runs the new program from now on, with no gap.
Napi::Value LinkUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    return ThrowType(env, "linkUpdate(linkFd, progFd)");
  BeginCall();
  int err = bpf_link_update(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), nullptr);
  if (err) return ThrowErr(env, "update link", err < 0 ? -err : errno);
  return env.Undefined();
}

// linkFromFd(fd) -> Link owning that fd: a tcx link pinned by an earlier process, opened with objGet.
Napi::Value LinkFromFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "linkFromFd(fd)");
  return Link::FromFd(env, info[0].As<Napi::Number>().Int32Value());
}

// tcDetach(ifindex, 'ingress'|'egress', handle, priority): removes nfscope's clsact filter
// from a hook (ENOENT when it is not there).
Napi::Value TcDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber())
    return ThrowType(env, "tcDetach(ifindex, 'ingress'|'egress', handle, priority)");
  std::string dir = info[1].As<Napi::String>();
  DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = info[0].As<Napi::Number>().Int32Value(),
                      .attach_point = dir == "ingress" ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = info[2].As<Napi::Number>().Uint32Value(),
                      .priority = info[3].As<Napi::Number>().Uint32Value());
  BeginCall();
  int err = bpf_tc_detach(&hook, &opts);
  if (err) return ThrowErr(env, "detach clsact filter " + dir, err);
  return env.Undefined();
}

// tcxQuery(ifindex, 'ingress'|'egress') -> ids of the programs attached through
// tcx on that hook, in run order (EINVAL on kernels without tcx).
Napi::Value TcQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString())
    return ThrowType(env, "tcQuery(ifindex, 'ingress'|'egress')");
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  std::string dir = info[1].As<Napi::String>();
  BeginCall();
  // Program ids attached through tcx on this hook, in order.
  __u32 ids[64];
  DECLARE_LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = 64);
  int err = bpf_prog_query_opts(ifindex, (enum bpf_attach_type)(dir == "ingress" ? kTcxIngress : kTcxEgress), &q);
  if (err) return ThrowErr(env, "query tcx " + dir + " on ifindex " + std::to_string(ifindex), err);
  Napi::Array arr = Napi::Array::New(env);
  for (__u32 i = 0; i < q.prog_cnt && i < 64; i++) arr.Set(i, ids[i]);
  return arr;
}

// ---------------------------------------------------------------- maps and programs

int MapFd(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }

// mapLookup(fd, key, valueBytes) -> Buffer | null (valueBytes: total, all CPUs for per-CPU maps)
Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsNumber())
    return ThrowType(env, "mapLookup(fd, key: Buffer, valueBytes)");
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto out = Napi::Buffer<uint8_t>::New(env, info[2].As<Napi::Number>().Uint32Value());
  BeginCall();
  if (bpf_map_lookup_elem(MapFd(info[0]), key.Data(), out.Data()) != 0) {
    if (errno == ENOENT) return env.Null();
    return ThrowErr(env, "map lookup", errno);
  }
  return out;
}

Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsBuffer())
    return ThrowType(env, "mapUpdate(fd, key: Buffer, value: Buffer, flags?)");
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  auto val = info[2].As<Napi::Buffer<uint8_t>>();
  uint64_t flags = info.Length() > 3 ? info[3].As<Napi::Number>().Int64Value() : (uint64_t)BPF_ANY;
  BeginCall();
  if (bpf_map_update_elem(MapFd(info[0]), key.Data(), val.Data(), flags) != 0)
    return ThrowErr(env, "map update", errno);
  return env.Undefined();
}

// mapDelete(fd, key) -> boolean (false when the key was not there)
Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer())
    return ThrowType(env, "mapDelete(fd, key: Buffer)");
  auto key = info[1].As<Napi::Buffer<uint8_t>>();
  BeginCall();
  if (bpf_map_delete_elem(MapFd(info[0]), key.Data()) != 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    return ThrowErr(env, "map delete", errno);
  }
  return Napi::Boolean::New(env, true);
}

// mapMmap(fd, bytes) -> ArrayBuffer over the map's memory (a BPF_F_MMAPABLE
// array), shared with the programs. Unmapped when the ArrayBuffer is collected:
// typed arrays over it can never outlive the mapping.
Napi::Value MapMmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) return ThrowType(env, "mapMmap(fd, bytes)");
  size_t bytes = info[1].As<Napi::Number>().Int64Value();
  if (bytes == 0) return ThrowType(env, "mapMmap: bytes must be positive");
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, MapFd(info[0]), 0);
  if (p == MAP_FAILED) return ThrowErr(env, "map mmap", errno);
  return Napi::ArrayBuffer::New(
      env, p, bytes,
      [](Napi::Env, void* data, size_t* len) {
        munmap(data, *len);
        delete len;
      },
      new size_t(bytes));
}

// atomicCas32(arrayBuffer, byteOffset, expected, desired) -> the value found.
// A compare-and-swap on a u32 of memory shared with BPF programs (mapMmap),
// the same atomic operation as their __sync_val_compare_and_swap.
Napi::Value AtomicCas32(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsArrayBuffer() || !info[1].IsNumber() || !info[2].IsNumber() ||
      !info[3].IsNumber())
    return ThrowType(env, "atomicCas32(arrayBuffer, byteOffset, expected, desired)");
  auto ab = info[0].As<Napi::ArrayBuffer>();
  uint32_t off = info[1].As<Napi::Number>().Uint32Value();
  if (off % 4 != 0 || (size_t)off + 4 > ab.ByteLength())
    return ThrowType(env, "atomicCas32: byteOffset must be 4-aligned and inside the buffer");
  uint32_t* word = reinterpret_cast<uint32_t*>(static_cast<uint8_t*>(ab.Data()) + off);
  uint32_t expected = info[2].As<Napi::Number>().Uint32Value();
  __atomic_compare_exchange_n(word, &expected, info[3].As<Napi::Number>().Uint32Value(), false, __ATOMIC_SEQ_CST,
                              __ATOMIC_SEQ_CST);
  return Napi::Number::New(env, expected);
}

// Sums a per-CPU value (one sum_size copy per CPU in vsz bytes) word by word as u64
// counters modulo 2^64 into out.
void SumPerCpu(const uint8_t* val, uint32_t vsz, uint32_t sum_size, uint8_t* out) {
  std::fill(out, out + sum_size, 0);
  for (uint32_t off = 0; off + sum_size <= vsz; off += sum_size) {
    for (uint32_t w = 0; w < sum_size; w += 8) {
      uint64_t x, a;
      memcpy(&x, val + off + w, 8);
      memcpy(&a, out + w, 8);
      a += x;
      memcpy(out + w, &a, 8);
    }
  }
}

// mapDump(fd, keySize, valueBytes, withValues, sumValueSize, batch) ->
//   { n, keys: Buffer (n keys back to back), values: Buffer | null, batched }
// Every entry of a map in two buffers instead of two buffers per entry (a read of
// every map each second made thousands of them). With batch, the entries come
// BPF_MAP_LOOKUP_BATCH at a time (Linux 5.6; hash and array maps), a few system
// calls per map instead of two per entry; where the kernel refuses it (EINVAL,
// ENOTSUPP), the keys are walked with BPF_MAP_GET_NEXT_KEY (a key deleted during the walk
// is skipped; keys a restarted walk repeats are returned once). sumValueSize: a
// per-CPU map's values (one 8-byte-aligned copy per CPU in valueBytes) come back
// summed over the CPUs, word by word as u64 counters modulo 2^64.
Napi::Value MapDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[4].IsNumber())
    return ThrowType(env, "mapDump(fd, keySize, valueBytes, withValues, sumValueSize, batch)");
  int fd = MapFd(info[0]);
  uint32_t ksz = info[1].As<Napi::Number>().Uint32Value();
  uint32_t vsz = info[2].As<Napi::Number>().Uint32Value();
  bool with_values = info[3].ToBoolean();
  uint32_t sum_size = info[4].As<Napi::Number>().Uint32Value();
  bool batch = info[5].ToBoolean() && with_values;
  if (sum_size % 8 != 0 || sum_size > vsz)
    return ThrowType(env, "mapDump: sumValueSize must be a multiple of 8 and at most valueBytes");
  uint32_t out_vsz = with_values ? (sum_size > 0 ? sum_size : vsz) : 0;
  std::vector<uint8_t> keys, vals;
  uint32_t n = 0;
  bool batched = false;
  BeginCall();
  if (batch) {
    constexpr uint32_t kPer = 64;
    std::vector<uint8_t> bk(size_t(kPer) * ksz), bv(size_t(kPer) * vsz);
    std::vector<uint8_t> in_b(std::max<uint32_t>(ksz, 8)), out_b(std::max<uint32_t>(ksz, 8));
    bool first = true;
    batched = true;
    for (;;) {
      uint32_t count = kPer;
      LIBBPF_OPTS(bpf_map_batch_opts, opts);
      int r =
          bpf_map_lookup_batch(fd, first ? nullptr : in_b.data(), out_b.data(), bk.data(), bv.data(), &count, &opts);
      int err = r < 0 ? errno : 0;
      if (r < 0 && err != ENOENT) {
        // Refused at once (no batch operations for this map type), or a hash bucket
        // with more entries than a batch holds (ENOSPC): walk the keys instead.
        if ((first && (err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == 524 /* ENOTSUPP */)) ||
            err == ENOSPC) {
          batched = false;
          break;
        }
        return ThrowErr(env, "map lookup batch", err);
      }
      for (uint32_t i = 0; i < count; i++) {
        keys.insert(keys.end(), bk.data() + size_t(i) * ksz, bk.data() + size_t(i + 1) * ksz);
        size_t at = vals.size();
        vals.resize(at + out_vsz);
        if (sum_size > 0)
          SumPerCpu(bv.data() + size_t(i) * vsz, vsz, sum_size, vals.data() + at);
        else
          memcpy(vals.data() + at, bv.data() + size_t(i) * vsz, vsz);
      }
      n += count;
      if (r < 0) break;  // ENOENT: that was the last of them
      first = false;
      in_b = out_b;
    }
  }
  if (!batched) {
    keys.clear();
    vals.clear();
    n = 0;
    std::vector<uint8_t> prev(ksz), next(ksz), val(vsz);
    std::unordered_set<std::string> seen;
    bool first = true;
    for (;;) {
      if (bpf_map_get_next_key(fd, first ? nullptr : prev.data(), next.data()) != 0) {
        if (errno == ENOENT) break;
        return ThrowErr(env, "map iterate", errno);
      }
      first = false;
      prev = next;
      if (!seen.insert(std::string((const char*)next.data(), ksz)).second) continue;
      if (with_values) {
        if (bpf_map_lookup_elem(fd, next.data(), val.data()) != 0) {
          if (errno == ENOENT) continue;
          return ThrowErr(env, "map lookup", errno);
        }
        size_t at = vals.size();
        vals.resize(at + out_vsz);
        if (sum_size > 0)
          SumPerCpu(val.data(), vsz, sum_size, vals.data() + at);
        else
          memcpy(vals.data() + at, val.data(), vsz);
      }
      keys.insert(keys.end(), next.begin(), next.end());
      n++;
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("n", Napi::Number::New(env, n));
  out.Set("keys", Napi::Buffer<uint8_t>::Copy(env, keys.data(), keys.size()));
  out.Set("values", with_values ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, vals.data(), vals.size())) : env.Null());
  out.Set("batched", Napi::Boolean::New(env, batched));
  return out;
}

// progInfo(fd) -> { id, name, runCount, runTimeNs, recursionMisses }
Napi::Value ProgInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "progInfo(fd)");
  struct bpf_prog_info pi = {};
  __u32 len = sizeof(pi);
  BeginCall();
  if (bpf_obj_get_info_by_fd(info[0].As<Napi::Number>().Int32Value(), &pi, &len) != 0)
    return ThrowErr(env, "program info", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", pi.id);
  o.Set("name", std::string(pi.name));
  o.Set("runCount", Napi::Number::New(env, (double)pi.run_cnt));
  o.Set("runTimeNs", Napi::Number::New(env, (double)pi.run_time_ns));
  o.Set("recursionMisses", Napi::Number::New(env, (double)pi.recursion_misses));
  return o;
}

// testRun(progFd, packet) -> { retval, durationNs }: one BPF_PROG_TEST_RUN of a loaded
// program on `packet` (for tc programs an Ethernet frame), with no interface or namespace.
Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBuffer()) return ThrowType(env, "testRun(progFd, packet)");
  Napi::Buffer<uint8_t> packet = info[1].As<Napi::Buffer<uint8_t>>();
  struct bpf_test_run_opts opts = {};
  opts.sz = sizeof(opts);
  opts.data_in = packet.Data();
  opts.data_size_in = static_cast<__u32>(packet.Length());
  opts.repeat = 1;
  BeginCall();
  if (bpf_prog_test_run_opts(info[0].As<Napi::Number>().Int32Value(), &opts) != 0)
    return ThrowErr(env, "BPF_PROG_TEST_RUN", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("retval", Napi::Number::New(env, static_cast<int32_t>(opts.retval)));
  o.Set("durationNs", Napi::Number::New(env, opts.duration));
  return o;
}

// enableStats() -> fd: run counts and run time are collected while it is open.
Napi::Value EnableStats(const Napi::CallbackInfo& info) {
  BeginCall();
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) return ThrowErr(info.Env(), "enable BPF run-time statistics", errno);
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(info.Env(), "closeFd(fd)");
  if (close(info[0].As<Napi::Number>().Int32Value()) != 0) return ThrowErr(info.Env(), "close", errno);
  return info.Env().Undefined();
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) return ThrowErr(info.Env(), "count possible CPUs", n);
  return Napi::Number::New(info.Env(), n);
}

// releaseFreeMemory() -> whether glibc gave pages back. The exporter frees buffers of
// every size each second (map reads, query answers) from several threads' malloc
// arenas; free pages inside an arena stay resident until malloc_trim hands them
// back to the kernel (not done by free() itself except at the top of the main heap).
Napi::Value ReleaseFreeMemory(const Napi::CallbackInfo& info) {
#ifdef __GLIBC__
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

// btfEnum(name) -> { ENUMERATOR: value } from the running kernel's BTF.
Napi::Value BtfEnum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return ThrowType(env, "btfEnum(name)");
  std::string name = info[0].As<Napi::String>();
  BeginCall();
  struct btf* btf = btf__load_vmlinux_btf();
  int err = libbpf_get_error(btf);
  if (err) return ThrowErr(env, "load kernel BTF", err);
  int id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_ENUM);
  if (id < 0) id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_ENUM64);
  if (id < 0) {
    btf__free(btf);
    return ThrowErr(env, "kernel BTF has no enum " + name, ENOENT);
  }
  const struct btf_type* t = btf__type_by_id(btf, id);
  Napi::Object out = Napi::Object::New(env);
  if (btf_is_enum(t)) {
    const struct btf_enum* e = btf_enum(t);
    for (int i = 0; i < btf_vlen(t); i++, e++)
      out.Set(btf__name_by_offset(btf, e->name_off), Napi::Number::New(env, (double)(uint32_t)e->val));
  } else {
    const struct btf_enum64* e = btf_enum64(t);
    for (int i = 0; i < btf_vlen(t); i++, e++)
      out.Set(btf__name_by_offset(btf, e->name_off), Napi::Number::New(env, (double)btf_enum64_value(e)));
  }
  btf__free(btf);
  return out;
}

// ---------------------------------------------------------------- raw sockets
// For the traffic simulator and tests: craft packets the socket API cannot
// (SCTP on kernels without SCTP sockets, UDP with a chosen checksum).

// rawOpen(family: 4|6, protocol, headerIncluded) -> fd
Napi::Value RawOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber())
    return ThrowType(env, "rawOpen(family: 4|6, protocol, headerIncluded)");
  int fam = info[0].As<Napi::Number>().Int32Value() == 6 ? (int)AF_INET6 : (int)AF_INET;
  int proto = info[1].As<Napi::Number>().Int32Value();
  int fd = socket(fam, SOCK_RAW | SOCK_CLOEXEC, proto);
  if (fd < 0) return ThrowErr(env, "open raw socket", errno);
  if (info[2].ToBoolean() && fam == AF_INET) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) != 0) {
      int err = errno;
      close(fd);
      return ThrowErr(env, "set IP_HDRINCL", err);
    }
  }
  return Napi::Number::New(env, fd);
}

// rawSend(fd, packet: Buffer, destination address) -> bytes sent
Napi::Value RawSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsString())
    return ThrowType(env, "rawSend(fd, packet: Buffer, address: string)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto pkt = info[1].As<Napi::Buffer<uint8_t>>();
  std::string addr = info[2].As<Napi::String>();
  struct sockaddr_storage ss = {};
  socklen_t sl;
  auto* s4 = (struct sockaddr_in*)&ss;
  auto* s6 = (struct sockaddr_in6*)&ss;
  if (inet_pton(AF_INET, addr.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    sl = sizeof(*s4);
  } else if (inet_pton(AF_INET6, addr.c_str(), &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    sl = sizeof(*s6);
  } else {
    return ThrowType(env, "rawSend: not an IP address: " + addr);
  }
  ssize_t n = sendto(fd, pkt.Data(), pkt.Length(), 0, (struct sockaddr*)&ss, sl);
  if (n < 0) return ThrowErr(env, "send to " + addr, errno);
  return Napi::Number::New(env, (double)n);
}

// rawWatch(fd, onPacket(err, packet)) -> stop(): reads the socket from the
// event loop (readiness through libuv, then non-blocking reads until it would
// block), so no thread of the pool sits in a blocking read. The socket is made
// non-blocking. stop() ends the watch; the fd stays open (closeFd closes it).
struct RawWatch;
struct RawWatchSlot {  // held by the stop function
  RawWatch* w;
};
struct RawWatch {
  uv_poll_t poll;
  RawWatchSlot* slot;
  napi_env env;
  int fd;
  bool stopped;
  Napi::FunctionReference onPacket;
};

void RawWatchClosed(uv_handle_t* h) {
  auto* w = static_cast<RawWatch*>(h->data);
  if (w->slot) w->slot->w = nullptr;
  delete w;
}

void RawWatchStop(RawWatch* w) {
  if (w->stopped) return;
  w->stopped = true;
  uv_poll_stop(&w->poll);
  w->onPacket.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), RawWatchClosed);
}

// Calls onPacket; an exception it throws goes to process 'uncaughtException'.
bool RawWatchDeliver(RawWatch* w, Napi::Env env, napi_value err, napi_value pkt) {
  w->onPacket.MakeCallback(env.Global(), {err, pkt});
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
    return false;
  }
  return true;
}

void RawWatchReadable(uv_poll_t* h, int status, int) {
  auto* w = static_cast<RawWatch*>(h->data);
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  if (status < 0) {
    napi_value e = Napi::Error::New(env, std::string("raw socket poll: ") + uv_strerror(status)).Value();
    RawWatchDeliver(w, env, e, env.Undefined());
    RawWatchStop(w);
    return;
  }
  static uint8_t buf[65536];
  // A bounded batch, so that one busy socket cannot hold the loop.
  for (int i = 0; i < 64 && !w->stopped; i++) {
    ssize_t n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      auto e = Napi::Error::New(env, std::string("read raw socket: ") + strerror(errno));
      e.Set("errno", Napi::Number::New(env, errno));
      RawWatchDeliver(w, env, e.Value(), env.Undefined());
      RawWatchStop(w);
      return;
    }
    if (!RawWatchDeliver(w, env, env.Null(), Napi::Buffer<uint8_t>::Copy(env, buf, (size_t)n))) return;
  }
}

Napi::Value RawWatchStopJs(const Napi::CallbackInfo& info) {
  auto* slot = static_cast<RawWatchSlot*>(info.Data());
  if (slot->w) RawWatchStop(slot->w);  // freed once libuv has closed it
  return info.Env().Undefined();
}

Napi::Value RawWatchJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction())
    return ThrowType(env, "rawWatch(fd, onPacket: (err, packet) => void)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return ThrowErr(env, "make raw socket non-blocking", errno);
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return ThrowType(env, "rawWatch: no event loop");
  auto* w = new RawWatch();
  w->env = env;
  w->fd = fd;
  w->stopped = false;
  w->poll.data = w;
  int rc = uv_poll_init_socket(loop, &w->poll, fd);
  if (rc < 0) {
    delete w;
    return ThrowErr(env, "watch raw socket", rc);
  }
  w->onPacket = Napi::Persistent(info[1].As<Napi::Function>());
  rc = uv_poll_start(&w->poll, UV_READABLE, RawWatchReadable);
  if (rc < 0) {
    w->stopped = true;
    w->onPacket.Reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), RawWatchClosed);
    return ThrowErr(env, "watch raw socket", rc);
  }
  // The stop function and the watch point at each other until either goes.
  auto* slot = new RawWatchSlot{w};
  w->slot = slot;
  Napi::Function stop = Napi::Function::New(env, RawWatchStopJs, "stop", slot);
  stop.AddFinalizer(
      [](Napi::Env, RawWatchSlot* s) {
        if (s->w) s->w->slot = nullptr;
        delete s;
      },
      slot);
  return stop;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  libbpf_set_print(CaptureLibbpfPrint);
  Link::Init(env);
  exports.Set("BpfObject", BpfObject::Init(env));
  exports.Set("tcAttach", Napi::Function::New(env, TcAttach));
  exports.Set("tcxQuery", Napi::Function::New(env, TcQuery));
  exports.Set("tcDetach", Napi::Function::New(env, TcDetach));
  exports.Set("objPin", Napi::Function::New(env, ObjPin));
  exports.Set("objGet", Napi::Function::New(env, ObjGet));
  exports.Set("mapInfo", Napi::Function::New(env, MapInfo));
  exports.Set("linkUpdate", Napi::Function::New(env, LinkUpdate));
  exports.Set("linkFromFd", Napi::Function::New(env, LinkFromFd));
  exports.Set("mapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("mapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("mapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("mapMmap", Napi::Function::New(env, MapMmap));
  exports.Set("atomicCas32", Napi::Function::New(env, AtomicCas32));
  exports.Set("mapDump", Napi::Function::New(env, MapDump));
  exports.Set("progInfo", Napi::Function::New(env, ProgInfo));
  exports.Set("testRun", Napi::Function::New(env, TestRun));
  exports.Set("enableStats", Napi::Function::New(env, EnableStats));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus));
  exports.Set("btfEnum", Napi::Function::New(env, BtfEnum));
  exports.Set("releaseFreeMemory", Napi::Function::New(env, ReleaseFreeMemory));
  exports.Set("rawOpen", Napi::Function::New(env, RawOpen));
  exports.Set("rawSend", Napi::Function::New(env, RawSend));
  exports.Set("rawWatch", Napi::Function::New(env, RawWatchJs));
  return exports;
}

}  // namespace

NODE_API_MODULE(nfscope_bpf, Init)

// See realm.h.
#include "system/core/component_manager/realm.h"

#include <stdio.h>
#include <string.h>

namespace component_manager {

void NamespaceImpl::Open(idl::component::Namespace::OpenRequest& req, OpenCompleter done) {
  idl::component::Namespace::OpenResponse r;
  if (!req.channel || req.path.size == 0 || req.path.data[0] != '/' ||
      memchr(req.path.data, '\0', req.path.size) != nullptr) {
    r.status = MICA_ERR_INVALID_ARGS;
  } else {
    r.status = manager_->Open(index_, req.path.data, req.path.size,
                              static_cast<mica::Channel&&>(req.channel));
  }
  done.Reply(r);
}

RealmImpl::RealmImpl(Manager* manager, mica::Channel channel)
    : RealmServer(manager->loop(), static_cast<mica::Channel&&>(channel)), manager_(manager) {}

RealmImpl::~RealmImpl() {
  manager_->RemoveRealm(this);
}

void RealmImpl::Serve() {
  manager_->AddRealm(this);
  RealmImpl* self = this;
  set_error_handler([self](mica_status_t) { delete self; });
  Begin();
}

void RealmImpl::List(idl::component::Realm::ListRequest& req, ListCompleter done) {
  static idl::component::Realm::ListResponse response;
  response = idl::component::Realm::ListResponse();
  uint32_t order[kMaxComponents];
  uint32_t total = manager_->TreeOrder(order);
  for (uint32_t i = req.start; i < total && response.components.count < idl::component::MAX_PAGE;
       i++) {
    static idl::component::Component c;
    manager_->Fill(order[i], &c);
    response.components.Push(c);
  }
  response.total = total;
  done.Reply(response);
}

void RealmImpl::Start(idl::component::Realm::StartRequest& req, StartCompleter done) {
  idl::component::Realm::StartResponse r;
  uint32_t index = manager_->Find(req.moniker.data, req.moniker.size);
  r.status = index == cm::kNoNode ? MICA_ERR_NOT_FOUND : manager_->StartComponent(index);
  done.Reply(r);
}

void RealmImpl::Stop(idl::component::Realm::StopRequest& req, StopCompleter done) {
  uint32_t index = manager_->Find(req.moniker.data, req.moniker.size);
  idl::component::Realm::StopResponse r;
  if (index == cm::kNoNode) {
    r.status = MICA_ERR_NOT_FOUND;
    done.Reply(r);
    return;
  }
  for (StopWait& w : stops_) {
    if (!w.used) {
      w.used = true;
      w.index = index;
      w.uid = manager_->component(index).uid;
      w.done = static_cast<StopCompleter&&>(done);
      manager_->StopTree(index);  // answers through OnChange when it is done
      OnChange();
      return;
    }
  }
  r.status = MICA_ERR_NO_RESOURCES;  // too many stops outstanding on this connection
  done.Reply(r);
}

void RealmImpl::Run(idl::component::Realm::RunRequest& req, RunCompleter done) {
  idl::component::Realm::RunResponse r;
  char args[idl::component::MAX_ARGS][idl::component::MAX_ARG + 1];
  const char* argv[idl::component::MAX_ARGS];
  uint32_t argc = 0;
  r.status = MICA_OK;
  for (const auto& a : req.args) {
    if (memchr(a.data, '\0', a.size) != nullptr) {
      r.status = MICA_ERR_INVALID_ARGS;
    }
    memcpy(args[argc], a.data, a.size);
    args[argc][a.size] = '\0';
    argv[argc] = args[argc];
    argc++;
  }
  uint32_t index = cm::kNoNode;
  if (r.status == MICA_OK) {
    r.status = manager_->RunInCollection(req.collection.data, req.collection.size, req.target.data,
                                         req.target.size, argv, argc,
                                         mica::Handle(req.stdout.release()), &index);
  }
  if (r.status == MICA_OK) {
    r.moniker.Set(manager_->component(index).moniker);
  }
  done.Reply(r);
}

void RealmImpl::WaitExit(idl::component::Realm::WaitExitRequest& req, WaitExitCompleter done) {
  uint32_t index = manager_->Find(req.moniker.data, req.moniker.size);
  idl::component::Realm::WaitExitResponse r;
  if (index == cm::kNoNode || manager_->component(index).binary[0] == '\0') {
    r.status = index == cm::kNoNode ? MICA_ERR_NOT_FOUND : MICA_ERR_BAD_STATE;
    done.Reply(r);
    return;
  }
  for (ExitWait& w : exits_) {
    if (!w.used) {
      w.used = true;
      w.index = index;
      w.uid = manager_->component(index).uid;
      w.generation = manager_->component(index).generation;
      w.done = static_cast<WaitExitCompleter&&>(done);
      OnChange();
      return;
    }
  }
  r.status = MICA_ERR_NO_RESOURCES;
  done.Reply(r);
}

void RealmImpl::OnChange() {
  for (StopWait& w : stops_) {
    if (!w.used) {
      continue;
    }
    const Component& c = manager_->component(w.index);
    if (!c.used || c.uid != w.uid || manager_->SubtreeStopped(w.index)) {
      idl::component::Realm::StopResponse r;
      r.status = MICA_OK;
      w.used = false;
      w.done.Reply(r);
    }
  }
  for (ExitWait& w : exits_) {
    if (!w.used) {
      continue;
    }
    const Component& c = manager_->component(w.index);
    idl::component::Realm::WaitExitResponse r;
    if (!c.used || c.uid != w.uid) {
      r.status = MICA_ERR_NOT_FOUND;  // removed meanwhile
    } else if (c.state == State::kRunning || !c.has_exited) {
      continue;  // still running, or restarting after an end (answered below)
    } else {
      r.status = MICA_OK;
      r.exit_code = c.last_exit;
    }
    w.used = false;
    uint32_t index = w.index;
    bool collected = r.status == MICA_OK;
    w.done.Reply(r);
    if (collected) {
      manager_->Collected(index);
    }
  }
}

}  // namespace component_manager

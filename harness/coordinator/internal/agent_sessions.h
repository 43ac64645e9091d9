// The agents' side of the coordinator: every connection on the agents' port
// from its first byte to its end. The TLS handshake, the challenge and the
// proof of the fleet token (a bounded number of connections may wait for
// it); registration in the roster, where a newer connection of an agent
// replaces the older one; and the conversation: results (flow-controlled,
// acknowledged only after their commit), heartbeats, job ends, bye. While
// the database's writes fail, every agent is told to hold its results, and
// to send them again when writes work.
//
// It owns the agents' credentials (who may connect under which name: the
// fleet token or an enrolled agent's own key), the count of connections
// waiting to authenticate and the limit on lines about peers. It keeps the roster's sessions,
// writes machines, agents and results through FleetWrites, leaves every question about a job to the
// job service, and counts into Metrics.
// Thread-safety: none of its own; the network thread's (`io`'s) only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "harness/coordinator/coordinator.h"
#include "harness/coordinator/internal/agent_roster.h"
#include "harness/coordinator/internal/credentials.h"
#include "harness/coordinator/internal/fleet_writes.h"
#include "harness/coordinator/internal/job_service.h"
#include "harness/coordinator/log_limiter.h"
#include "harness/coordinator/metrics.h"
#include "harness/fleet/protocol.h"

namespace effbench::coordinator {

class AgentSessions {
 public:
  struct Hooks {
    std::function<void(const std::string&)> log;  // a line for the server log
  };

  // `tls`: the agents' TLS context, or null for HMAC authentication on plain
  // TCP. What it is given must outlive it.
  AgentSessions(boost::asio::io_context& io, const CoordinatorOptions& options,
                boost::asio::ssl::context* tls, AgentRoster& roster, JobService& jobs,
                FleetWrites& writes, Metrics& metrics, Hooks hooks);

  // A connection accepted on the agents' port: served until it ends. Closed
  // at once when max_preauth connections already wait to authenticate.
  void Serve(boost::asio::ip::tcp::socket socket);
  // The database's writes failed (the reason) or work again (nullopt): each
  // connected agent is told to hold its results, or to send them again, and
  // on recovery their machines are stored again.
  void OnStoreHealth(const std::optional<std::string>& fault);
  // Stopping: each connected agent is told bye, and no agent is welcomed
  // from now on.
  void Stop();
  // Waits until what each agent was sent is written (at most `timeout`
  // each), then closes every connection.
  boost::asio::awaitable<void> Close(std::chrono::milliseconds timeout);

  // At start: the enrolled agents the database holds.
  Status RestoreKeys(const std::vector<store::AgentKeyRow>& rows) {
    return credentials_.Restore(rows);
  }
  // At each sync of several coordinators: the enrolled agents the database
  // holds now. A key enrolled, changed or revoked through another
  // coordinator holds here from now on; the agent's open connection here is
  // closed (it must prove its name again).
  void SyncKeys(const std::vector<store::AgentKeyRow>& rows);
  // Gives agent `name` a key of its own (a new one if it had one), stored
  // before this returns; from then on only that key opens the name, and an
  // open connection of the agent is closed. The key, to be shown once.
  boost::asio::awaitable<Result<std::string>> Enroll(const std::string& name);
  // Revokes an enrolled agent's key, durably: its open connection is closed
  // at once, and the name is refused from then on. What it sent before is
  // kept. NotFound when it is not enrolled.
  boost::asio::awaitable<Status> Revoke(const std::string& name);
  const Credentials& credentials() const { return credentials_; }

  size_t preauth() const { return preauth_; }
  // The agent's presence as other coordinators on the database see it
  // (store::AgentPresenceRow), now.
  store::AgentPresenceRow Presence(const Session& session) const;

 private:
  boost::asio::awaitable<void> ServeAgent(std::shared_ptr<fleet::Channel> channel);
  // The handshake: TLS, the challenge, and the hello with its proof of the
  // fleet token. The hello when the agent is authenticated; nullopt (the
  // channel failed or closed, and why logged) otherwise.
  struct Admitted {
    fleet::Hello hello;
    std::string credential;  // how it proved its name (Credentials::Check)
  };
  boost::asio::awaitable<std::optional<Admitted>> Authenticate(
      const std::shared_ptr<fleet::Channel>& channel, const std::string& peer);
  // An authenticated agent's session: replaces an older connection of the
  // same agent, stores the agent and its machine, and welcomes it.
  std::shared_ptr<Session> Register(const std::shared_ptr<fleet::Channel>& channel,
                                    const Admitted& admitted, const std::string& peer);
  // Closes the agent's open connection with `why` (an error frame). Whether
  // it had one.
  bool Disconnect(const std::string& name, const std::string& why);
  // Stores the agent's machine and agent rows and its presence (connect,
  // recovery).
  void StoreMachine(const std::shared_ptr<Session>& session);
  // Records the agent's presence, now when `changed`, else when the last
  // record is PresenceRefresh old.
  void RecordPresence(const std::shared_ptr<Session>& session, bool changed);
  // The session ended: the agent is gone from now (its jobs' lease runs).
  void Unregister(const std::shared_ptr<Session>& session);
  boost::asio::awaitable<void> Converse(std::shared_ptr<Session> session);
  // A result batch, once the job service accepted it (a violation fails the
  // channel). Takes the records out of `batch`.
  boost::asio::awaitable<bool> OnResult(const std::shared_ptr<Session>& session,
                                        fleet::ResultBatch& batch);
  // A heartbeat's state changed to or from paused (the agent's spool is
  // full): logged once and recorded with the job.
  void NotePause(Session& session, const std::string& previous_state, const std::string& problem);
  void Log(const std::string& line) const;
  // Log(line) unless too many such lines came just now.
  void LogLimited(const std::string& line);

  boost::asio::io_context& io_;
  const CoordinatorOptions& options_;
  Credentials credentials_;
  boost::asio::ssl::context* ssl_;
  AgentRoster& roster_;
  JobService& jobs_;
  FleetWrites& writes_;
  Metrics& metrics_;
  Hooks hooks_;
  size_t preauth_ = 0;   // connections not yet authenticated
  LogLimiter peer_log_;  // lines about peers, however many misbehave
  bool stopping_ = false;
};

}  // namespace effbench::coordinator
